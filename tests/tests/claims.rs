//! One custom domain name, one live stack; and a step's error reaching the state machine under
//! its own name, so that `Retry` and `Catch` match it locally as they do in AWS.

use edgestack_tests::{
    assert_error, eventually, random_principal, random_suffix, stack_id, Api, Aws, API_REGION,
};
use serde_json::{json, Value};

fn stack_body(api_id: &str, name: &str) -> Value {
    json!({"api_id": api_id, "region": API_REGION, "stage": "prod", "custom_domain": {"name": name}})
}

async fn final_status(api: &Api, id: &str, want: &[&str]) -> Value {
    eventually(&format!("stack {id} to reach one of {want:?}"), || async {
        let stack = api.get(&format!("/stacks/{id}")).await.expect(200);
        want.contains(&stack["status"].as_str().unwrap_or_default())
            .then_some(stack)
    })
    .await
}

#[tokio::test]
async fn two_stacks_requested_at_once_for_one_name_exactly_one_proceeds() {
    let aws = Aws::new().await;
    let api_id = aws.create_regional_rest_api("claims").await;
    let name = format!("api.c{}.example.com", random_suffix());
    let teams = [
        Api::as_principal(&random_principal()),
        Api::as_principal(&random_principal()),
    ];
    let body = stack_body(&api_id, &name);
    let (a, b) = tokio::join!(
        teams[0].post_json("/stacks", &body),
        teams[1].post_json("/stacks", &body)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [202, 409],
        "exactly one of two racing requests wins the name"
    );
    let (winner, loser, winner_team) = if a.status == 202 {
        (a, b, &teams[0])
    } else {
        (b, a, &teams[1])
    };
    assert_error(&loser, 409, Some("domain_taken"));
    assert!(
        !loser.json().to_string().contains("stk_"),
        "another team's stack id is not disclosed"
    );

    // Once the winner is deleted, the name is free again.
    let id = stack_id(&winner.json());
    winner_team
        .delete(&format!("/stacks/{id}"))
        .await
        .expect(202);
    final_status(winner_team, &id, &["DELETED"]).await;
    let again = teams[0].post_json("/stacks", &body).await;
    again.expect(202);
}

#[tokio::test]
async fn a_step_error_reaches_the_state_machine_under_its_own_name() {
    let aws = Aws::new().await;
    let api = Api::as_principal(&random_principal());
    // No such API: the validate step fails with its `InvalidStack` error type.
    let stack = api
        .create_stack(&json!({"api_id": "zzzzzzzzzz", "region": API_REGION, "stage": "prod"}))
        .await;
    let id = stack_id(&stack);
    let failed = eventually(&format!("stack {id} to be rolled back"), || async {
        let stack = api.get(&format!("/stacks/{id}")).await.expect(200);
        (stack["error"]["rolled_back"] == true).then_some(stack)
    })
    .await;
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["error"]["code"], "api_not_found");
    assert_eq!(failed["error"]["step"], "validate");
    assert_eq!(failed["error"]["rolled_back"], true);
    assert!(failed["error"]["message"]
        .as_str()
        .unwrap()
        .contains("zzzzzzzzzz"));

    let arn = aws.env().provision_execution_arn(&id);
    let history = eventually("the provisioning execution to finish", || async {
        let out = aws
            .sfn
            .describe_execution()
            .execution_arn(&arn)
            .send()
            .await
            .ok()?;
        (out.status().as_str() != "RUNNING").then_some(())?;
        aws.sfn
            .get_execution_history()
            .execution_arn(&arn)
            .max_results(1000)
            .send()
            .await
            .ok()
    })
    .await;
    let failures: Vec<String> = history
        .events()
        .iter()
        .filter_map(|e| e.task_failed_event_details())
        .filter_map(|d| d.error().map(str::to_owned))
        .collect();
    assert_eq!(
        failures.first().map(String::as_str),
        Some("InvalidStack"),
        "{failures:?}"
    );
    let entered: Vec<&str> = history
        .events()
        .iter()
        .filter_map(|e| e.state_entered_event_details())
        .map(|d| d.name())
        .collect();
    assert!(
        entered.contains(&"RecordFailure"),
        "Catch matched: {entered:?}"
    );
    assert_eq!(
        entered.iter().filter(|s| **s == "Validate").count(),
        1,
        "InvalidStack is not retried: {entered:?}"
    );
}
