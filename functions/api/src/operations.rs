//! The operations of `api.md`: where each is routed, what it answers when it succeeds and what
//! it can refuse with. The router dispatches on them, and the contract test checks openapi.yaml
//! against them, so a route, a header or a refusal changes here or nowhere.

use strum::IntoEnumIterator;

use crate::error::{ApiError, ServiceFailure};
use crate::handlers::{CreateRefusal, DeleteRefusal, GetRefusal, ListRefusal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum Operation {
    CreateStack,
    ListStacks,
    GetStack,
    DeleteStack,
}

/// The paths of the API, as openapi.yaml writes them.
pub const STACKS: &str = "/stacks";
pub const STACK: &str = "/stacks/{id}";

impl Operation {
    pub fn path(self) -> &'static str {
        match self {
            Self::CreateStack | Self::ListStacks => STACKS,
            Self::GetStack | Self::DeleteStack => STACK,
        }
    }

    pub fn method(self) -> &'static str {
        match self {
            Self::CreateStack => "POST",
            Self::ListStacks | Self::GetStack => "GET",
            Self::DeleteStack => "DELETE",
        }
    }

    /// The operation on `path` (one of the paths above) by `method`.
    pub fn find(path: &str, method: &str) -> Option<Self> {
        Self::iter().find(|op| op.path() == path && op.method() == method)
    }

    /// The methods `path` answers, for a `405`'s `Allow` header.
    pub fn allowed_on(path: &str) -> String {
        Self::iter()
            .filter(|op| op.path() == path)
            .map(Self::method)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The status of a success.
    pub fn success(self) -> u16 {
        match self {
            Self::CreateStack | Self::DeleteStack => 202,
            Self::ListStacks | Self::GetStack => 200,
        }
    }

    /// The headers a success may carry besides `Content-Type`.
    pub fn success_headers(self) -> &'static [&'static str] {
        match self {
            // `Idempotent-Replayed` only on a replay.
            Self::CreateStack => &["location", "idempotent-replayed"],
            Self::DeleteStack => &["location"],
            Self::ListStacks | Self::GetStack => &[],
        }
    }

    /// One of every refusal the operation can answer with: its handler's refusal type, what
    /// any request may meet in the service, and a missing identity.
    pub fn refusals(self) -> Vec<ApiError> {
        let mut all = match self {
            Self::CreateStack => every::<CreateRefusal>(),
            Self::ListStacks => every::<ListRefusal>(),
            Self::GetStack => every::<GetRefusal>(),
            Self::DeleteStack => every::<DeleteRefusal>(),
        };
        all.push(ApiError::Unauthenticated);
        all
    }
}

/// Every variant of `R`, with each of the service's failures for its `Service` variant.
fn every<R>() -> Vec<ApiError>
where
    R: IntoEnumIterator + From<ServiceFailure> + Into<ApiError>,
{
    R::iter()
        .map(Into::into)
        .chain(ServiceFailure::iter().map(|failure| R::from(failure).into()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_is_found_by_its_path_and_method_alone() {
        for op in Operation::iter() {
            assert_eq!(Operation::find(op.path(), op.method()), Some(op));
        }
        assert_eq!(Operation::allowed_on(STACKS), "POST, GET");
        assert_eq!(Operation::allowed_on(STACK), "GET, DELETE");
        assert_eq!(Operation::find(STACK, "PUT"), None);
    }
}
