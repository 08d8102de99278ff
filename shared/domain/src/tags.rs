//! The tags that mark what edgestack makes. Every resource a stack creates carries the caller's
//! tags and edgestack's own (`edgestack:*`): the stack id finds a resource whose create answer
//! was lost, and IAM lets edgestack delete only what carries it.

use crate::stack::Stack;

/// The prefix of edgestack's own tags; a caller's tags may not use it.
pub const RESERVED_TAG_PREFIX: &str = "edgestack:";
/// The tag that names the stack a resource belongs to.
pub const STACK_ID_TAG: &str = "edgestack:stack-id";
/// The tag that carries the stack's `name`, when it has one.
pub const NAME_TAG: &str = "edgestack:name";

/// The tags on every resource a stack creates: the caller's, and edgestack's own.
pub fn resource_tags(stack: &Stack) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = stack
        .request
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    tags.push((STACK_ID_TAG.to_owned(), stack.id.to_string()));
    if let Some(name) = &stack.request.name {
        tags.push((NAME_TAG.to_owned(), name.clone()));
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_carry_the_stack_id_and_the_callers_tags() {
        let request = crate::request::StackRequest::from_json(&serde_json::json!({
            "api_id": "a1b2c3d4e5", "region": "eu-west-1", "stage": "prod",
            "tags": {"team": "payments"}, "name": "payments-edge"
        }))
        .expect("a valid request");
        let s = Stack::new("arn:a".into(), request, crate::timestamp::Timestamp::now());
        let tags = resource_tags(&s);
        assert!(tags.contains(&("team".into(), "payments".into())));
        assert!(tags.contains(&(STACK_ID_TAG.into(), s.id.to_string())));
        assert!(tags.contains(&(NAME_TAG.into(), "payments-edge".into())));
        assert!(STACK_ID_TAG.starts_with(RESERVED_TAG_PREFIX));
    }
}
