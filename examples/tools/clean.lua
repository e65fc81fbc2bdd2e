-- Unwraps layout <div>s, drops the site navigation, images and link targets,
-- so the SQLite pages convert to plain Markdown prose.
local drop = { nosearch = true, menu = true, searchmenu = true, tagline = true }

function Div(el)
  for _, class in ipairs(el.classes) do
    if drop[class] then return {} end
  end
  return el.content
end

function Image(el) return {} end
function Link(el) return el.content end
function Span(el) return el.content end
function Underline(el) return el.content end
function RawBlock(el) return {} end
function RawInline(el) return {} end
