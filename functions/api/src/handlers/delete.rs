//! `DELETE /stacks/{id}`: one teardown at a time, whatever the stack is doing.

use edgestack_aws::store::modify;
use edgestack_domain::lifecycle::Refusal;
use edgestack_domain::stack::{Phase, Status};
use lambda_http::{Body, Response};

use super::{accepted, owned};
use crate::app::App;
use crate::error::{ApiError, ServiceFailure};

/// What `DELETE /stacks/{id}` can answer besides `202`.
#[derive(Debug, strum::EnumIter)]
pub enum DeleteRefusal {
    StackNotFound,
    AlreadyDeleted,
    DeleteInProgress,
    Service(ServiceFailure),
}

impl From<DeleteRefusal> for ApiError {
    fn from(refusal: DeleteRefusal) -> Self {
        match refusal {
            DeleteRefusal::StackNotFound => Self::StackNotFound,
            DeleteRefusal::AlreadyDeleted => Self::AlreadyDeleted,
            DeleteRefusal::DeleteInProgress => Self::DeleteInProgress,
            DeleteRefusal::Service(failure) => failure.into(),
        }
    }
}

pub async fn delete(app: &App, owner: &str, id: &str) -> Result<Response<Body>, DeleteRefusal> {
    let stack = owned(app, owner, id)
        .await?
        .ok_or(DeleteRefusal::StackNotFound)?;
    match stack.status() {
        Status::Deleted => return Err(DeleteRefusal::AlreadyDeleted),
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
                        .map_err(|_| DeleteRefusal::DeleteInProgress)?;
                    s.phase = Phase::DeletingDnsRecords;
                    Ok::<_, DeleteRefusal>(())
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
            return Err(DeleteRefusal::DeleteInProgress);
        }
        _ => {}
    }
    // A rollback runs in the provisioning execution: it is stopped too, so that one teardown
    // at a time undoes the stack.
    let was_provisioning = stack.provisioning_execution_running();
    // The version check in `modify` makes two racing deletes end with one winner.
    let stack = modify(app.store.as_ref(), &stack.id, |s| {
        s.start_deleting().map_err(|refusal| match refusal {
            Refusal::Deleted => DeleteRefusal::AlreadyDeleted,
            _ => DeleteRefusal::DeleteInProgress,
        })?;
        s.phase = if was_provisioning {
            Phase::StoppingProvisioning
        } else {
            Phase::DeletingDnsRecords
        };
        Ok::<_, DeleteRefusal>(())
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
