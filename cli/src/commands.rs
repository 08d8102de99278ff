//! One function per subcommand: the request, the answer, the wait, and the exit status.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::args::{
    CallArgs, Cli, Command, CreateArgs, DeleteArgs, Files, GlobalArgs, IdArg, ListArgs,
    OutputFormat, WaitArgs,
};
use crate::client::{Answered, Client, Identity};
use crate::endpoint::{self, Sources};
use crate::exit::Exit;
use crate::output::{self, print_failure};
use crate::progress;
use crate::wait::{self, Goal, Options};

/// `--all` follows `next_token` at most this many pages (a guard, far above any real list).
const MAX_PAGES: usize = 10_000;

pub async fn run(cli: Cli) -> Exit {
    // A request that cannot be built is a usage error, found before anything is sent.
    let body = match &cli.command {
        Command::Create(args) => match args.request(&Files) {
            Ok(body) => Some(body),
            Err(message) => {
                eprintln!("error: {message}");
                return Exit::Usage;
            }
        },
        _ => None,
    };
    let client = match connect(&cli.global).await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    let global = &cli.global;
    match &cli.command {
        Command::Create(args) => create(&client, args, body.unwrap_or_default(), global).await,
        Command::Get(IdArg { id }) => get(&client, id, global).await,
        Command::List(args) => list(&client, args, global).await,
        Command::Delete(args) => delete(&client, args, global).await,
        Command::Wait(args) => wait_for(&client, args, global).await,
        Command::Call(args) => call(&client, args, global).await,
    }
}

async fn call(client: &Client, args: &CallArgs, global: &GlobalArgs) -> Exit {
    let method = match reqwest::Method::from_bytes(args.method.to_ascii_uppercase().as_bytes()) {
        Ok(method) => method,
        Err(_) => {
            eprintln!("error: {:?} is not an HTTP method", args.method);
            return Exit::Usage;
        }
    };
    let stack = match client.get(&args.id).await {
        Ok(stack) => stack,
        Err(failure) => {
            print_failure(global.output, &failure);
            return failure.exit();
        }
    };
    // A local stack's distributions answer at the data plane, not at their public names.
    let edge = client.is_local().then(|| {
        let sources = Sources {
            endpoint: global.endpoint.clone(),
            env_file: global.env_file.clone(),
        };
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        endpoint::edge_url(&sources, &|key| std::env::var(key).ok(), &cwd)
    });
    let edge = match edge {
        Some(None) => {
            eprintln!(
                "error: the local stack's data plane is unknown: set EDGE_URL or pass --env-file"
            );
            return Exit::Usage;
        }
        Some(Some(url)) => Some(url),
        None => None,
    };
    let target = match crate::call::target(&stack.stack, &args.path, edge.as_deref()) {
        Ok(target) => target,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    let body = args.data.clone().unwrap_or_default().into_bytes();
    match crate::call::send(&target, &method, &body).await {
        Ok((status, text)) => {
            match global.output {
                OutputFormat::Json => {
                    println!("{}", output::json(&json!({"status": status, "body": text})))
                }
                OutputFormat::Text => {
                    println!("{status}");
                    println!("{text}");
                }
            }
            if (200..300).contains(&status) {
                Exit::Ok
            } else {
                Exit::Error
            }
        }
        Err(failure) => {
            print_failure(global.output, &failure);
            failure.exit()
        }
    }
}

async fn connect(global: &GlobalArgs) -> Result<Client, Exit> {
    let sources = Sources {
        endpoint: global.endpoint.clone(),
        env_file: global.env_file.clone(),
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let endpoint =
        endpoint::resolve(&sources, &|key| std::env::var(key).ok(), &cwd).map_err(|message| {
            eprintln!("error: {message}");
            Exit::Usage
        })?;
    let identity = Identity {
        profile: global.profile.clone(),
        signing_region: global.signing_region.clone(),
    };
    Client::new(endpoint, identity).await.map_err(|failure| {
        print_failure(global.output, &failure);
        failure.exit()
    })
}

fn show_stack(format: OutputFormat, answered: &Answered) {
    match format {
        OutputFormat::Json => println!("{}", output::json(&answered.json)),
        OutputFormat::Text => print!(
            "{}",
            output::stack_text(&answered.stack, answered.expected_ready_at())
        ),
    }
}

fn new_idempotency_key() -> String {
    format!("edgestack-cli-{:032x}", rand::random::<u128>())
}

async fn create(client: &Client, args: &CreateArgs, body: Value, global: &GlobalArgs) -> Exit {
    let key = args
        .idempotency_key
        .clone()
        .unwrap_or_else(new_idempotency_key);
    let created = match client.create(&body, &key).await {
        Ok(created) => created,
        Err(failure) => {
            print_failure(global.output, &failure);
            return failure.exit();
        }
    };
    let id = created.stack.stack.id.to_string();
    if created.replayed {
        eprintln!("note: this Idempotency-Key was used before with the same request; this is that request's stack");
    }
    if !args.wait.wait {
        show_stack(global.output, &created.stack);
        if global.output == OutputFormat::Text {
            eprintln!("follow it with: edgestack wait {id}");
        }
        return Exit::Ok;
    }
    if global.output == OutputFormat::Text && !global.quiet {
        eprintln!(
            "created {id}; waiting until it is READY or FAILED (at most {})",
            progress::clock(args.wait.timeout)
        );
    }
    let options = Options {
        timeout: args.wait.timeout,
        interval: args.wait.interval,
    };
    finish_wait(
        client,
        &id,
        Some(created.stack),
        Some(Goal::Ready),
        options,
        global,
    )
    .await
}

async fn get(client: &Client, id: &str, global: &GlobalArgs) -> Exit {
    match client.get(id).await {
        Ok(stack) => {
            show_stack(global.output, &stack);
            Exit::Ok
        }
        Err(failure) => {
            print_failure(global.output, &failure);
            failure.exit()
        }
    }
}

async fn list(client: &Client, args: &ListArgs, global: &GlobalArgs) -> Exit {
    let mut items: Vec<Answered> = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = match client.list(&args.query(token.as_deref())).await {
            Ok(page) => page,
            Err(failure) => {
                print_failure(global.output, &failure);
                return failure.exit();
            }
        };
        let next = page.next_token.clone();
        if !args.all {
            match global.output {
                OutputFormat::Json => println!("{}", output::json(&page.json)),
                OutputFormat::Text => {
                    print!("{}", output::list_text(page.items.iter().map(|a| &a.stack)));
                    if let Some(next) = &next {
                        eprintln!(
                            "more stacks follow: edgestack list --next-token {next} (or --all)"
                        );
                    }
                }
            }
            return Exit::Ok;
        }
        items.extend(page.items);
        match next {
            Some(next) => token = Some(next),
            None => {
                match global.output {
                    OutputFormat::Json => {
                        let items: Vec<&Value> = items.iter().map(|a| &a.json).collect();
                        println!(
                            "{}",
                            output::json(&json!({ "items": items, "next_token": null }))
                        )
                    }
                    OutputFormat::Text => {
                        print!("{}", output::list_text(items.iter().map(|a| &a.stack)))
                    }
                }
                return Exit::Ok;
            }
        }
    }
    eprintln!("error: the API kept returning a next_token after {MAX_PAGES} pages");
    Exit::Error
}

async fn delete(client: &Client, args: &DeleteArgs, global: &GlobalArgs) -> Exit {
    let stack = match client.delete(&args.id).await {
        Ok(stack) => stack,
        Err(failure) => {
            print_failure(global.output, &failure);
            return failure.exit();
        }
    };
    if !args.wait.wait {
        show_stack(global.output, &stack);
        if global.output == OutputFormat::Text {
            eprintln!("follow it with: edgestack wait {}", args.id);
        }
        return Exit::Ok;
    }
    let options = Options {
        timeout: args.wait.timeout,
        interval: args.wait.interval,
    };
    finish_wait(
        client,
        &args.id,
        Some(stack),
        Some(Goal::Deleted),
        options,
        global,
    )
    .await
}

async fn wait_for(client: &Client, args: &WaitArgs, global: &GlobalArgs) -> Exit {
    let options = Options {
        timeout: args.timeout,
        interval: args.interval,
    };
    finish_wait(client, &args.id, None, None, options, global).await
}

/// Waits with the progress display, then prints the stack as last seen and says how it ended.
async fn finish_wait(
    client: &Client,
    id: &str,
    first: Option<Answered>,
    goal: Option<Goal>,
    options: Options,
    global: &GlobalArgs,
) -> Exit {
    let mut display = progress::for_stderr(global.quiet);
    let end = match wait::wait(client, id, first, goal, options, display.as_mut()).await {
        Ok(end) => end,
        Err(failure) => {
            print_failure(global.output, &failure);
            return failure.exit();
        }
    };
    if let Some(stack) = &end.stack {
        show_stack(global.output, stack);
    }
    let status = end
        .stack
        .as_ref()
        .map_or("unknown", |a| a.stack.status().as_str());
    match end.exit {
        Exit::TimedOut => {
            let mut message = format!(
                "error: timed out after {} waiting for {id}, last seen {status}",
                progress::clock(options.timeout)
            );
            if let Some(problem) = &end.last_problem {
                message.push_str(&format!(" ({problem})"));
            }
            eprintln!("{message}; wait again with: edgestack wait {id}");
        }
        Exit::Failed => {
            let error = end.stack.as_ref().and_then(|a| a.stack.error.as_ref());
            let code = error.map_or("unknown", |e| e.code.as_str());
            let message = error.map_or("", |e| e.message.as_str());
            eprintln!("error: stack {id} FAILED ({code}): {message}");
        }
        Exit::Deleted => eprintln!("error: stack {id} was deleted before it was READY"),
        _ => {}
    }
    end.exit
}
