//! The reviewer's checks: what a strict human reviewer throws a pair away
//! for, each with its own drop reason so the report says what was wrong.
//! The checks live in [`brightrun_types::prose`], shared with generate,
//! which builds no pair that would fail them.

use brightrun_types::prose;
use brightrun_types::{DropReason, Pair, Role};

/// The first reviewer's objection to `pair`, checked exchange by exchange
/// (a multi-turn pair is only as good as its worst turn).
pub fn review(pair: &Pair) -> Option<DropReason> {
    let mut question = "";
    for turn in &pair.turns {
        match turn.role {
            Role::System => {}
            Role::User => {
                if let Some(reason) = prose::review_question(&turn.content) {
                    return Some(reason);
                }
                question = &turn.content;
            }
            Role::Assistant => {
                if let Some(reason) = prose::review_answer(question, &turn.content) {
                    return Some(reason);
                }
            }
        }
    }
    None
}
