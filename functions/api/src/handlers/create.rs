//! `POST /stacks`: a request validated, stored once (whatever the retries) and its
//! provisioning started.

use edgestack_aws::store::{modify, CreateOutcome, IdempotencyKey};
use edgestack_domain::request::StackRequest;
use edgestack_domain::stack::{Stack, StackError, Status};
use edgestack_domain::timestamp::Timestamp;
use edgestack_domain::validated::{FieldError, Principal};
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::accepted;
use crate::app::App;
use crate::error::{ApiError, ServiceFailure};

/// Far above any real request (ten headers, forty tags), far below API Gateway's 10 MB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// What `POST /stacks` can answer besides `202`.
#[derive(Debug, strum::EnumIter)]
pub enum CreateRefusal {
    PayloadTooLarge,
    UnsupportedMediaType,
    MalformedJson(String),
    Validation(Vec<FieldError>),
    Forbidden(Vec<FieldError>),
    IdempotencyKeyReused,
    DomainTaken {
        name: String,
        holder: String,
    },
    /// A replayed key's stack is gone (it expired).
    StackNotFound,
    Service(ServiceFailure),
}

impl From<CreateRefusal> for ApiError {
    fn from(refusal: CreateRefusal) -> Self {
        use CreateRefusal as R;
        match refusal {
            R::PayloadTooLarge => Self::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            },
            R::UnsupportedMediaType => Self::UnsupportedMediaType,
            R::MalformedJson(cause) => Self::MalformedJson(cause),
            R::Validation(problems) => Self::Validation(problems),
            R::Forbidden(refused) => Self::Forbidden(refused),
            R::IdempotencyKeyReused => Self::IdempotencyKeyReused,
            R::DomainTaken { name, holder } => Self::DomainTaken { name, holder },
            R::StackNotFound => Self::StackNotFound,
            R::Service(failure) => failure.into(),
        }
    }
}

fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

fn require_json(req: &Request) -> Result<(), CreateRefusal> {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(CreateRefusal::UnsupportedMediaType)
    }
}

fn idempotency_key(req: &Request) -> Result<Option<String>, FieldError> {
    let Some(raw) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    // `to_str` also lets a tab through; the contract's keys are printable ASCII, space included.
    match raw.to_str() {
        Ok(key)
            if !key.is_empty()
                && key.len() <= 255
                && key.bytes().all(|b| (b' '..=b'~').contains(&b)) =>
        {
            Ok(Some(key.to_owned()))
        }
        _ => Err(FieldError::new(
            "Idempotency-Key",
            "must be 1 to 255 printable ASCII characters",
        )),
    }
}

/// Two bodies that mean the same JSON get the same digest, whatever their key order or spacing.
fn request_digest(body: &Value) -> String {
    // serde_json's maps are sorted, so this text is canonical.
    hex::encode(Sha256::digest(body.to_string().as_bytes()))
}

pub async fn create(
    app: &App,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, CreateRefusal> {
    let owner = principal.as_str();
    let bytes = body_bytes(req);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(CreateRefusal::PayloadTooLarge);
    }
    require_json(req)?;
    let body: Value =
        serde_json::from_slice(bytes).map_err(|e| CreateRefusal::MalformedJson(e.to_string()))?;
    // A bad header is named with the bad fields of the body: every problem at once.
    let (key, request) = match (idempotency_key(req), StackRequest::from_json(&body)) {
        (Ok(key), Ok(request)) => (key, request),
        (key, request) => {
            let mut problems = request.err().unwrap_or_default();
            problems.extend(key.err());
            return Err(CreateRefusal::Validation(problems));
        }
    };
    let refused = app.permissions.refusals(principal, &request);
    if !refused.is_empty() {
        return Err(CreateRefusal::Forbidden(refused));
    }

    let stack = Stack::new(owner.to_owned(), request, Timestamp::now());
    let idempotency = key.map(|key| IdempotencyKey {
        owner: owner.to_owned(),
        key,
        request_digest: request_digest(&body),
    });
    let stack = match app.store.create(&stack, idempotency.as_ref()).await? {
        CreateOutcome::Created => stack,
        CreateOutcome::KeyReused => return Err(CreateRefusal::IdempotencyKeyReused),
        CreateOutcome::NameTaken(holder) => {
            let name = edgestack_aws::store::claimed_name(&stack)
                .unwrap_or_default()
                .to_owned();
            // Another caller's stack id is not this caller's business.
            let holder = match app.store.get(&holder).await? {
                Some(found) if found.value.owner == owner => holder.to_string(),
                _ => "a stack of another team".to_owned(),
            };
            return Err(CreateRefusal::DomainTaken { name, holder });
        }
        CreateOutcome::Replayed(id) => {
            let earlier = app
                .store
                .get(&id)
                .await?
                .ok_or(CreateRefusal::StackNotFound)?
                .value;
            // Keys are stored per owner; should one ever lead to another caller's stack, that
            // stack is not this caller's to see.
            if earlier.owner != owner {
                return Err(CreateRefusal::IdempotencyKeyReused);
            }
            // The first attempt may have stored the stack and died before starting the
            // workflow; starting it again is harmless, the execution is named after the stack.
            if earlier.status() == Status::Pending {
                start_provisioning(app, &earlier).await?;
            }
            let mut response = accepted(&earlier);
            response.headers_mut().insert(
                "idempotent-replayed",
                http::HeaderValue::from_static("true"),
            );
            return Ok(response);
        }
    };
    tracing::info!(stack_id = %stack.id, owner, "stack accepted");
    start_provisioning(app, &stack).await?;
    Ok(accepted(&stack))
}

/// Starts the workflow; if it cannot be started, the stack is marked failed (nothing was
/// created in AWS yet) so that it does not sit `PENDING` for ever, and its name is freed.
/// When the start got no clear answer, the execution may be running: it is looked for first,
/// and a stack that a step has already moved on from `PENDING` is left to it. Marking `FAILED`
/// is safe even if the execution started after all: no step provisions a `FAILED` stack
/// (`Deps::begin`), so a freed name is never served by two live stacks.
async fn start_provisioning(app: &App, stack: &Stack) -> Result<(), ServiceFailure> {
    let Err(err) = app.workflows.start_provisioning(&stack.id).await else {
        return Ok(());
    };
    if err.outcome_unknown {
        match app.workflows.provisioning_exists(&stack.id).await {
            Ok(true) => {
                tracing::warn!(stack_id = %stack.id, error = %err, "the start got no clear answer, but the execution exists");
                return Ok(());
            }
            Ok(false) => {}
            Err(look) => {
                tracing::error!(stack_id = %stack.id, error = %look, "could not look for the execution")
            }
        }
    }
    tracing::error!(stack_id = %stack.id, error = %err, "provisioning could not start");
    let mut moved_on = false;
    let marked = modify(app.store.as_ref(), &stack.id, |s| {
        // Refused once a step began: the execution runs after all.
        moved_on = s
            .fail_to_start(StackError {
                code: "workflow_not_started".into(),
                message: "The provisioning workflow could not be started, so nothing was created. Send the request again.".into(),
                step: "start".into(),
                rolled_back: true,
            })
            .is_err();
        Ok::<_, ServiceFailure>(())
    })
    .await;
    if let Err(mark_err) = marked {
        tracing::error!(stack_id = %stack.id, error = %mark_err, "could not mark the stack failed");
    }
    if moved_on {
        tracing::warn!(stack_id = %stack.id, "the stack left PENDING meanwhile: its execution runs");
        return Ok(());
    }
    // Nothing will run to release the name: free it now, so that sending the request again
    // (as the error says) is not refused as taken by this very stack. Nothing will read the
    // origin header values either.
    if let Err(release_err) = app.store.release_claim(stack).await {
        tracing::error!(stack_id = %stack.id, error = %release_err, "could not release the name");
    }
    if let Err(forget_err) = app.store.forget_origin_header_values(&stack.id).await {
        tracing::error!(stack_id = %stack.id, error = %forget_err, "could not forget the origin header values");
    }
    Err(err.into())
}
