//! One function per operation of the contract in `api.md`.

use edgestack_aws::store::{modify, CreateOutcome, Cursor, IdempotencyKey, ListQuery};
use edgestack_domain::lifecycle::Refusal;
use edgestack_domain::request::StackRequest;
use edgestack_domain::stack::{Phase, Stack, StackError, StackId, Status};
use edgestack_domain::timestamp::Timestamp;
use edgestack_domain::validated::{FieldError, Principal};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::app::{json_response, App};
use crate::error::ApiError;

/// Far above any real request (ten headers, forty tags), far below API Gateway's 10 MB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;
const IDEMPOTENCY_HEADER: &str = "idempotency-key";

fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

fn require_json(req: &Request) -> Result<(), ApiError> {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

fn idempotency_key(req: &Request) -> Result<Option<String>, FieldError> {
    let Some(raw) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    match raw.to_str() {
        Ok(key) if !key.is_empty() && key.len() <= 255 => Ok(Some(key.to_owned())),
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

fn accepted(stack: &Stack) -> Response<Body> {
    let mut response = json_response(202, stack);
    let location = format!("/stacks/{}", stack.id);
    response.headers_mut().insert(
        "location",
        location
            .parse()
            .expect("a stack id is a valid header value"),
    );
    response
}

pub async fn create(
    app: &App,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let owner = principal.as_str();
    let bytes = body_bytes(req);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    require_json(req)?;
    let body: Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    // A bad header is named with the bad fields of the body: every problem at once.
    let (key, request) = match (idempotency_key(req), StackRequest::from_json(&body)) {
        (Ok(key), Ok(request)) => (key, request),
        (key, request) => {
            let mut problems = request.err().unwrap_or_default();
            problems.extend(key.err());
            return Err(ApiError::Validation(problems));
        }
    };
    let refused = app.permissions.refusals(principal, &request);
    if !refused.is_empty() {
        return Err(ApiError::Forbidden(refused));
    }

    let stack = Stack::new(owner.to_owned(), request, Timestamp::now());
    let idempotency = key.map(|key| IdempotencyKey {
        owner: owner.to_owned(),
        key,
        request_digest: request_digest(&body),
    });
    let stack = match app.store.create(&stack, idempotency.as_ref()).await? {
        CreateOutcome::Created => stack,
        CreateOutcome::KeyReused => return Err(ApiError::IdempotencyKeyReused),
        CreateOutcome::NameTaken(holder) => {
            let name = edgestack_aws::store::claimed_name(&stack)
                .unwrap_or_default()
                .to_owned();
            // Another caller's stack id is not this caller's business.
            let holder = match app.store.get(&holder).await? {
                Some(found) if found.value.owner == owner => holder.to_string(),
                _ => "a stack of another team".to_owned(),
            };
            return Err(ApiError::DomainTaken { name, holder });
        }
        CreateOutcome::Replayed(id) => {
            let earlier = app
                .store
                .get(&id)
                .await?
                .ok_or(ApiError::StackNotFound)?
                .value;
            // Keys are stored per owner; should one ever lead to another caller's stack, that
            // stack is not this caller's to see.
            if earlier.owner != owner {
                return Err(ApiError::IdempotencyKeyReused);
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
async fn start_provisioning(app: &App, stack: &Stack) -> Result<(), ApiError> {
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
        Ok::<_, ApiError>(())
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

/// The caller's own stack, or 404: another caller's stack does not exist for this one.
async fn owned(app: &App, owner: &str, raw_id: &str) -> Result<Stack, ApiError> {
    let id = StackId::parse(raw_id).ok_or(ApiError::StackNotFound)?;
    match app.store.get(&id).await? {
        Some(found) if found.value.owner == owner => Ok(found.value),
        _ => Err(ApiError::StackNotFound),
    }
}

pub async fn get(app: &App, owner: &str, id: &str) -> Result<Response<Body>, ApiError> {
    let stack = owned(app, owner, id).await?;
    Ok(json_response(200, &stack))
}

pub async fn list(app: &App, owner: &str, req: &Request) -> Result<Response<Body>, ApiError> {
    let params = req.query_string_parameters();
    let mut problems = Vec::new();
    for (name, _) in params.iter() {
        if !["status", "limit", "next_token"].contains(&name) {
            problems.push(FieldError::new(
                name,
                "is not a known query parameter; use status, limit or next_token",
            ));
        }
    }
    let status = match params.first("status") {
        None | Some("") => None,
        Some(raw) => Status::parse(raw).or_else(|| {
            let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
            problems.push(FieldError::new(
                "status",
                format!("must be one of {}", names.join(", ")),
            ));
            None
        }),
    };
    let limit = match params.first("limit") {
        None | Some("") => DEFAULT_PAGE_SIZE,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                problems.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                ));
                DEFAULT_PAGE_SIZE
            }
        },
    };
    let after = match params.first("next_token") {
        None | Some("") => None,
        Some(raw) => Cursor::decode(raw).or_else(|| {
            problems.push(FieldError::new(
                "next_token",
                "is not a token this API returned",
            ));
            None
        }),
    };
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let page = app
        .store
        .list(&ListQuery {
            owner: owner.to_owned(),
            status,
            limit,
            after,
        })
        .await?;
    Ok(json_response(
        200,
        &json!({ "items": page.items, "next_token": page.next.map(|c| c.encode()) }),
    ))
}

pub async fn delete(app: &App, owner: &str, id: &str) -> Result<Response<Body>, ApiError> {
    let stack = owned(app, owner, id).await?;
    match stack.status() {
        Status::Deleted => return Err(ApiError::AlreadyDeleted),
        Status::Deleting => {
            if app
                .workflows
                .teardown_ended(&stack.id, stack.teardown_attempts)
                .await?
            {
                // The teardown ended without finishing the stack (its failure recorder gave up
                // too): this DELETE starts another attempt instead of waiting for nothing.
                let seen = stack.teardown_attempts;
                let stack = modify(app.store.as_ref(), &stack.id, |s| {
                    s.retry_deleting(seen)
                        .map_err(|_| ApiError::DeleteInProgress)?;
                    s.phase = Phase::DeletingDnsRecords;
                    Ok::<_, ApiError>(())
                })
                .await?;
                app.workflows
                    .start_teardown(&stack.id, stack.teardown_attempts, false)
                    .await?;
                tracing::info!(stack_id = %stack.id, attempt = stack.teardown_attempts, "stuck deletion started again");
                return Ok(accepted(&stack));
            }
            // A delete whose teardown never started (the first call died) heals on a retry.
            app.workflows
                .start_teardown(&stack.id, stack.teardown_attempts, true)
                .await?;
            return Err(ApiError::DeleteInProgress);
        }
        _ => {}
    }
    // A rollback runs in the provisioning execution: it is stopped too, so that one teardown
    // at a time undoes the stack.
    let was_provisioning = stack.provisioning_execution_running();
    // The version check in `modify` makes two racing deletes end with one winner.
    let stack = modify(app.store.as_ref(), &stack.id, |s| {
        s.start_deleting().map_err(|refusal| match refusal {
            Refusal::Deleted => ApiError::AlreadyDeleted,
            _ => ApiError::DeleteInProgress,
        })?;
        s.phase = if was_provisioning {
            Phase::StoppingProvisioning
        } else {
            Phase::DeletingDnsRecords
        };
        Ok::<_, ApiError>(())
    })
    .await?;
    if was_provisioning {
        app.workflows.stop_provisioning(&stack.id).await?;
    }
    app.workflows
        .start_teardown(&stack.id, stack.teardown_attempts, was_provisioning)
        .await?;
    tracing::info!(stack_id = %stack.id, "stack deletion started");
    Ok(accepted(&stack))
}
