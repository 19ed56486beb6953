//! End-to-end tests of the `tutti` binary as an operator runs it: admin commands, refused input,
//! `--as`, the server and its API, backup and restore, and the demo — on SQLite and, when
//! `TUTTI_TEST_POSTGRES_URL` is set, on PostgreSQL.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use serde_json::{json, Value};
use tempfile::TempDir;
use tutti_store::audit::{AuditEntry, AuditFilter};
use tutti_store::Store;
use tutti_test_support::TestDb;

const PASSWORD: &str = "correct horse battery";
const WS: &str = "maison-lumiere";

/// How a finished command exited and what it printed.
#[derive(Debug)]
struct Run {
    what: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` exited with {:?}\n--- stdout\n{}--- stderr\n{}",
            self.what, self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    /// Asserts success and returns standard output.
    fn ok(self) -> String {
        assert_eq!(self.code, Some(0), "expected success: {self}");
        self.stdout
    }

    /// Asserts exit code 1 with exactly one line on standard error, and returns that line.
    fn failed(self) -> String {
        assert_eq!(self.code, Some(1), "expected exit code 1: {self}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one line on stderr: {self}");
        lines[0].to_owned()
    }
}

/// A Tutti instance for one test: a fresh directory (the commands' working directory) and
/// the database the commands are pointed at.
struct Instance {
    dir: TempDir,
    db_args: Vec<String>,
    url: String,
    label: &'static str,
    _db: Option<TestDb>,
}

impl Instance {
    /// SQLite in a fresh data directory, found through `--data-dir` alone.
    fn data_dir() -> Instance {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let url = format!("sqlite://{}", data.join("tutti.db").display());
        let db_args = vec!["--data-dir".to_owned(), data.display().to_string()];
        Instance { dir, db_args, url, label: "sqlite", _db: None }
    }

    /// The test database `db`, through `--database-url`.
    fn on(db: TestDb) -> Instance {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_args = vec![
            "--data-dir".to_owned(),
            dir.path().join("data").display().to_string(),
            "--database-url".to_owned(),
            db.url.clone(),
        ];
        Instance { dir, db_args, url: db.url.clone(), label: db.label(), _db: Some(db) }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tutti"));
        command.args(&self.db_args).args(args).current_dir(self.dir.path());
        for var in [
            "TUTTI_DATA_DIR",
            "TUTTI_DATABASE_URL",
            "TUTTI_AS",
            "TUTTI_LOG",
            "TUTTI_LOG_FORMAT",
            "TUTTI_LISTEN",
        ] {
            command.env_remove(var);
        }
        command
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tutti");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
        let out = child.wait_with_output().expect("wait for tutti");
        Run {
            what: format!("[{}] tutti {}", self.label, args.join(" ")),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args).ok();
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("[{}] {args:?} printed invalid JSON ({e}): {out}", self.label))
    }

    fn add_user(&self, email: &str, name: &str, admin: bool) {
        let mut args = vec!["user", "add", "--email", email, "--name", name, "--password-stdin"];
        if admin {
            args.push("--admin");
        }
        let out = self.run_with_stdin(&args, &format!("{PASSWORD}\n")).ok();
        assert!(out.contains(email), "[{}] user add printed {out:?}", self.label);
    }

    fn emails(&self) -> Vec<String> {
        let users = self.json(&["user", "list", "--json"]);
        users
            .as_array()
            .expect("a JSON array")
            .iter()
            .map(|u| u["email"].as_str().expect("email").to_owned())
            .collect()
    }

    fn members(&self) -> Vec<(String, String)> {
        let members = self.json(&["member", "list", "--workspace", WS, "--json"]);
        let mut list: Vec<(String, String)> = members
            .as_array()
            .expect("a JSON array")
            .iter()
            .map(|m| {
                (m["email"].as_str().expect("email").to_owned(), m["role"].as_str().expect("role").to_owned())
            })
            .collect();
        list.sort();
        list
    }

    async fn audit(&self) -> Vec<AuditEntry> {
        let store = Store::open(&self.url).await.expect("open the test database");
        let mut conn = store.conn().await.expect("a connection");
        let entries = tutti_store::audit::list(&mut conn, &AuditFilter { limit: 500, ..Default::default() })
            .await
            .expect("read the audit log");
        drop(conn);
        store.close().await;
        entries
    }

    /// Everything an operator can see: accounts, workspaces, and the audit log's length.
    async fn snapshot(&self) -> (Value, Value, usize) {
        (
            self.json(&["user", "list", "--json"]),
            self.json(&["workspace", "list", "--json"]),
            self.audit().await.len(),
        )
    }

    fn serve(&self) -> Server {
        Server::start(self)
    }
}

/// A fresh database on every backend this run reaches.
async fn every_backend() -> Vec<Instance> {
    tutti_test_support::every_backend().await.into_iter().map(Instance::on).collect()
}

/// A running `tutti serve`, killed when stopped or dropped.
struct Server {
    child: Child,
    stdout: BufReader<ChildStdout>,
    stderr: Option<JoinHandle<String>>,
    port: u16,
    base: String,
}

impl Server {
    /// Starts the server on a free port and learns the port from its first line.
    fn start(instance: &Instance) -> Server {
        Server::try_start(instance).unwrap_or_else(|run| panic!("tutti serve did not start: {run}"))
    }

    /// Starts the server, or returns how it exited if its first line is not the expected one.
    fn try_start(instance: &Instance) -> Result<Server, Run> {
        let mut child = instance
            .command(&["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tutti serve");
        // Drain the log so that the server never blocks on a full pipe; kept for failures.
        let mut err = child.stderr.take().expect("stderr");
        let stderr = Some(std::thread::spawn(move || {
            let mut log = String::new();
            let _ = err.read_to_string(&mut log);
            log
        }));
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut server = Server { child, stdout, stderr, port: 0, base: String::new() };
        let mut first = String::new();
        let _ = server.stdout.read_line(&mut first);
        let port = first
            .strip_prefix("Tutti is listening on http://127.0.0.1:")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|port| port.parse::<u16>().ok());
        let Some(port) = port else {
            // Nothing on stdout means the process is exiting on its own; otherwise stop it.
            if !first.is_empty() {
                let _ = server.child.kill();
            }
            let status = server.child.wait().expect("wait for tutti serve");
            let mut rest = String::new();
            let _ = server.stdout.read_to_string(&mut rest);
            return Err(Run {
                what: format!("[{}] tutti serve", instance.label),
                code: status.code(),
                stdout: first + rest.as_str(),
                stderr: server.stderr.take().and_then(|h| h.join().ok()).unwrap_or_default(),
            });
        };
        server.port = port;
        server.base = format!("http://127.0.0.1:{port}");
        Ok(server)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Kills the server and returns what it printed after its first line.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut rest = String::new();
        let _ = self.stdout.read_to_string(&mut rest);
        rest
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().expect("HTTP client")
}

#[tokio::test]
async fn admin_commands_create_and_list_users_workspaces_members_and_tokens() {
    for t in every_backend().await {
        t.add_user("claire@example.fr", "Claire Dubois", true);
        t.add_user("marc@example.fr", "Marc Petit", false);
        let users = t.json(&["user", "list", "--json"]);
        let users = users.as_array().expect("array");
        assert_eq!(users.len(), 2, "[{}] {users:?}", t.label);
        let admin_of =
            |email: &str| users.iter().find(|u| u["email"] == email).map(|u| u["is_admin"].clone());
        assert_eq!(admin_of("claire@example.fr"), Some(json!(true)), "[{}] {users:?}", t.label);
        assert_eq!(admin_of("marc@example.fr"), Some(json!(false)), "[{}] {users:?}", t.label);

        let out = t.run(&["workspace", "add", "Maison Lumière", "--timezone", "Europe/Paris"]).ok();
        assert!(out.contains("(maison-lumiere)"), "[{}] {out}", t.label);
        let workspaces = t.json(&["workspace", "list", "--json"]);
        assert_eq!(
            workspaces,
            json!([{"slug": WS, "name": "Maison Lumière", "timezone": "Europe/Paris", "role": null}]),
            "[{}]",
            t.label
        );

        t.run(&["member", "add", "--workspace", WS, "--email", "marc@example.fr", "--role", "cm"]).ok();
        let out = t
            .run(&["member", "add", "--workspace", WS, "--email", "lea@example.fr", "--role", "analyst"])
            .ok();
        assert!(out.contains("/invite/"), "[{}] a newcomer gets an invitation: {out}", t.label);
        assert_eq!(
            t.members(),
            [("lea@example.fr".into(), "analyst".into()), ("marc@example.fr".into(), "cm".into())],
            "[{}]",
            t.label
        );

        let out = t.run(&["token", "create", "--email", "marc@example.fr"]).ok();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 1, "[{}] {out}", t.label);
        let secret = lines[0].strip_prefix("tutti_").unwrap_or_else(|| panic!("[{}] {out}", t.label));
        assert!(secret.len() >= 32 && secret.chars().all(|c| c.is_ascii_hexdigit()), "[{}] {out}", t.label);
        let again = t.run(&["token", "create", "--email", "marc@example.fr"]).ok();
        assert_ne!(out, again, "[{}] every token is new", t.label);
    }
}

#[test]
fn an_unknown_argument_exits_2_with_the_usage_on_stderr() {
    let t = Instance::data_dir();
    let run = t.run(&["user", "list", "--frobnicate"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("--frobnicate") && run.stderr.contains("Usage:"), "{run}");
    assert!(run.stdout.is_empty(), "{run}");
    assert!(!t.path("data").exists(), "nothing is opened before the arguments are understood");
}

#[test]
fn a_private_host_allowance_is_read_as_host_or_host_and_port() {
    let t = Instance::data_dir();
    let run = t.run(&["--allow-private-host", "http://mastodon.lan/", "user", "list"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("--allow-private-host") && run.stderr.contains("HOST:PORT"), "{run}");
    let run = t.run(&["--allow-private-host", "mastodon.lan,[fd00::5]:8443", "user", "list"]);
    assert_eq!(run.code, Some(0), "{run}");
    let run = t.command(&["user", "list"]).env("TUTTI_ALLOW_PRIVATE_HOSTS", "").output().unwrap();
    assert!(
        run.status.success(),
        "an empty variable allows nothing: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[tokio::test]
async fn invalid_input_exits_1_with_one_line_naming_the_field_and_changes_nothing() {
    for t in every_backend().await {
        t.add_user("claire@example.fr", "Claire Dubois", true);
        t.add_user("marc@example.fr", "Marc Petit", false);
        t.run(&["workspace", "add", "Maison Lumière"]).ok();
        t.run(&["member", "add", "--workspace", WS, "--email", "marc@example.fr", "--role", "cm"]).ok();
        let before = t.snapshot().await;
        let members = t.members();

        let user_add =
            |email: &'static str| vec!["user", "add", "--email", email, "--name", "Zoé", "--password-stdin"];
        let cases: Vec<(Vec<&str>, &str, &str)> = vec![
            (user_add("zoe.example.fr"), PASSWORD, "email"),
            (user_add("MARC@example.fr"), PASSWORD, "email"),
            (user_add("zoe@example.fr"), "123456789", "password"),
            (
                vec!["member", "add", "--workspace", WS, "--email", "zoe@example.fr", "--role", "boss"],
                "",
                "role",
            ),
            (vec!["workspace", "add", "Olympus Mons", "--timezone", "Mars/Olympus"], "", "timezone"),
            (vec!["workspace", "add", "Maison Lumière"], "", "name"),
            (vec!["workspace", "add", "MAISON LUMIÈRE"], "", "name"),
        ];
        for (args, stdin, field) in cases {
            let line = t.run_with_stdin(&args, &format!("{stdin}\n")).failed();
            assert!(
                line.starts_with(&format!("error: {field}: ")),
                "[{}] {args:?} should name {field}: {line}",
                t.label
            );
            assert_eq!(t.snapshot().await, before, "[{}] {args:?} changed something", t.label);
            assert_eq!(t.members(), members, "[{}] {args:?} changed the team", t.label);
        }
    }
}

#[tokio::test]
async fn acting_as_a_cm_is_refused_and_as_an_instance_admin_is_allowed() {
    for t in every_backend().await {
        t.add_user("claire@example.fr", "Claire Dubois", true);
        t.add_user("marc@example.fr", "Marc Petit", false);
        t.run(&["workspace", "add", "Maison Lumière"]).ok();
        t.run(&["member", "add", "--workspace", WS, "--email", "marc@example.fr", "--role", "cm"]).ok();
        let add_lea = ["member", "add", "--workspace", WS, "--email", "lea@example.fr", "--role", "analyst"];

        let as_marc: Vec<&str> = ["--as", "marc@example.fr"].iter().chain(&add_lea).copied().collect();
        let line = t.run(&as_marc).failed();
        assert!(line.contains("permission denied"), "[{}] {line}", t.label);
        assert_eq!(t.members(), [("marc@example.fr".into(), "cm".into())], "[{}]", t.label);
        assert!(!t.emails().contains(&"lea@example.fr".to_owned()), "[{}] no account was made", t.label);
        let audit = t.audit().await;
        assert!(
            audit.iter().any(|e| e.action == "access.denied" && e.actor == "marc@example.fr"),
            "[{}] the refusal is audited: {audit:?}",
            t.label
        );

        let as_claire: Vec<&str> = ["--as", "claire@example.fr"].iter().chain(&add_lea).copied().collect();
        t.run(&as_claire).ok();
        assert_eq!(
            t.members(),
            [("lea@example.fr".into(), "analyst".into()), ("marc@example.fr".into(), "cm".into())],
            "[{}]",
            t.label
        );
        let audit = t.audit().await;
        assert!(
            audit.iter().any(|e| e.action == "member.add"
                && e.actor == "claire@example.fr"
                && e.target == "lea@example.fr"),
            "[{}] {audit:?}",
            t.label
        );
    }
}

#[tokio::test]
async fn serve_answers_health_checks_and_offers_setup_only_on_an_empty_database() {
    for t in every_backend().await {
        let server = t.serve();
        let port = server.port;
        let client = http();
        let health = client.get(server.url("/healthz")).send().await.expect("GET /healthz");
        assert_eq!(health.status(), 200, "[{}]", t.label);
        let ready = client.get(server.url("/readyz")).send().await.expect("GET /readyz");
        assert_eq!(ready.status(), 200, "[{}]", t.label);
        // The server answers only once its start-up lines are printed, so all of them are there.
        let rest = server.stop();
        let prefix = format!("First run: create the administrator at http://localhost:{port}/setup?token=");
        let token = rest.lines().find_map(|l| l.strip_prefix(&prefix));
        assert!(
            token.is_some_and(|tk| tk.len() == 64 && tk.chars().all(|c| c.is_ascii_hexdigit())),
            "[{}] expected the setup link after the first line, got {rest:?}",
            t.label
        );

        t.add_user("claire@example.fr", "Claire Dubois", true);
        let server = t.serve();
        let health = client.get(server.url("/healthz")).send().await.expect("GET /healthz");
        assert_eq!(health.status(), 200, "[{}]", t.label);
        let rest = server.stop();
        assert!(
            !rest.contains("First run"),
            "[{}] an instance with an account offers no setup: {rest:?}",
            t.label
        );
    }
}

#[tokio::test]
async fn over_the_api_a_cm_token_is_forbidden_and_an_admin_token_changes_a_role_both_audited() {
    for t in every_backend().await {
        t.add_user("chloe@example.fr", "Chloé Garnier", false);
        t.add_user("marc@example.fr", "Marc Petit", false);
        t.run(&["workspace", "add", "Maison Lumière"]).ok();
        t.run(&["member", "add", "--workspace", WS, "--email", "chloe@example.fr", "--role", "admin"]).ok();
        t.run(&["member", "add", "--workspace", WS, "--email", "marc@example.fr", "--role", "cm"]).ok();
        let token = |email: &str| t.run(&["token", "create", "--email", email]).ok().trim().to_owned();
        let (cm_token, admin_token) = (token("marc@example.fr"), token("chloe@example.fr"));

        let server = t.serve();
        let client = http();
        let member_url = server.url(&format!("/api/v1/workspaces/{WS}/members/marc@example.fr"));
        let members_url = server.url(&format!("/api/v1/workspaces/{WS}/members"));
        let role_of_marc = || async {
            let response =
                client.get(&members_url).bearer_auth(&admin_token).send().await.expect("GET members");
            assert_eq!(response.status(), 200, "[{}]", t.label);
            let members: Value = response.json().await.expect("JSON members");
            let marc =
                members.as_array().expect("array").iter().find(|m| m["email"] == "marc@example.fr").cloned();
            marc.map(|m| m["role"].clone())
        };

        let refused = client
            .patch(&member_url)
            .header("Authorization", format!("Bearer {cm_token}"))
            .json(&json!({"role": "analyst"}))
            .send()
            .await
            .expect("PATCH as cm");
        assert_eq!(refused.status(), 403, "[{}]", t.label);
        let body: Value = refused.json().await.expect("JSON error");
        assert_eq!(body["error"]["code"], "forbidden", "[{}] {body}", t.label);
        assert_eq!(role_of_marc().await, Some(json!("cm")), "[{}] the refused change did nothing", t.label);

        let changed = client
            .patch(&member_url)
            .header("Authorization", format!("Bearer {admin_token}"))
            .json(&json!({"role": "analyst"}))
            .send()
            .await
            .expect("PATCH as admin");
        assert_eq!(changed.status(), 200, "[{}]", t.label);
        let body: Value = changed.json().await.expect("JSON member");
        assert_eq!(body["role"], "analyst", "[{}] {body}", t.label);
        assert_eq!(role_of_marc().await, Some(json!("analyst")), "[{}]", t.label);

        let audit = t.audit().await;
        assert!(
            audit.iter().any(|e| e.action == "access.denied" && e.actor == "marc@example.fr"),
            "[{}] the refusal is audited: {audit:?}",
            t.label
        );
        let change = audit
            .iter()
            .find(|e| e.action == "member.role")
            .unwrap_or_else(|| panic!("[{}] {audit:?}", t.label));
        assert_eq!((change.actor.as_str(), change.target.as_str()), ("chloe@example.fr", "marc@example.fr"));
        assert!(change.before.as_deref().is_some_and(|b| b.contains("\"cm\"")), "[{}] {change:?}", t.label);
        assert!(
            change.after.as_deref().is_some_and(|a| a.contains("\"analyst\"")),
            "[{}] {change:?}",
            t.label
        );
        server.stop();
    }
}

#[tokio::test]
async fn backup_runs_beside_a_server_and_restore_waits_for_it_to_stop() {
    let t = Instance::data_dir();
    t.add_user("alice@example.fr", "Alice Martin", true);
    let server = t.serve();
    let ready = http().get(server.url("/readyz")).send().await.expect("GET /readyz");
    assert_eq!(ready.status(), 200);

    let out = t.run(&["backup", "backup.db"]).ok();
    assert!(out.contains("backup.db"), "{out}");
    assert!(t.path("backup.db").is_file());
    let line = t.run(&["restore", "backup.db"]).failed();
    assert!(line.contains("a Tutti process is using"), "{line}");

    server.stop();
    t.add_user("bob@example.fr", "Bob Durand", false);
    assert_eq!(t.emails(), ["alice@example.fr", "bob@example.fr"]);
    t.run(&["restore", "backup.db"]).ok();
    assert_eq!(t.emails(), ["alice@example.fr"], "the state of the backup is back");
    t.add_user("carla@example.fr", "Carla Rossi", false);
    assert_eq!(t.emails(), ["alice@example.fr", "carla@example.fr"], "the restored database takes writes");
}

#[test]
fn a_server_does_not_start_while_a_restore_holds_the_database() {
    let t = Instance::data_dir();
    t.add_user("alice@example.fr", "Alice Martin", true);
    // What `tutti restore` holds while it swaps the files.
    let lock = std::fs::File::create(t.path("data/tutti.db.lock")).expect("lock file");
    lock.try_lock().expect("exclusive lock");
    let line = match Server::try_start(&t) {
        Ok(server) => {
            server.stop();
            panic!("the server started on a database being restored");
        }
        Err(run) => run.failed(),
    };
    assert!(line.contains("is being restored"), "{line}");
}

#[tokio::test]
async fn restoring_a_file_that_is_not_a_tutti_database_fails_and_keeps_the_current_one() {
    let t = Instance::data_dir();
    t.add_user("alice@example.fr", "Alice Martin", true);
    let before = t.snapshot().await;
    for (name, content) in
        [("notes.txt", &b"these are not the data you are looking for\n"[..]), ("empty.db", b"")]
    {
        std::fs::write(t.path(name), content).expect("write the file");
        let line = t.run(&["restore", name]).failed();
        assert!(line.contains(&format!("{name} is not a usable Tutti backup")), "{line}");
        assert_eq!(t.snapshot().await, before, "restoring {name} changed the database");
    }
    let line = t.run(&["restore", "missing.db"]).failed();
    assert!(line.contains("missing.db"), "{line}");
    let leftovers: Vec<PathBuf> = std::fs::read_dir(t.path("data"))
        .expect("data dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".restore")))
        .collect();
    assert!(leftovers.is_empty(), "scratch copies are removed: {leftovers:?}");
}

#[tokio::test]
async fn backup_and_restore_on_postgresql_point_to_its_own_tools() {
    let Some(db) = tutti_test_support::postgres().await else { return };
    let t = Instance::on(db);
    let line = t.run(&["backup", "copy.db"]).failed();
    assert!(line.contains("pg_dump"), "{line}");
    assert!(!t.path("copy.db").exists());
    std::fs::write(t.path("copy.db"), b"").expect("write a file");
    let line = t.run(&["restore", "copy.db"]).failed();
    assert!(line.contains("pg_restore"), "{line}");
}

#[test]
fn an_unreachable_database_exits_1_with_one_line_naming_the_url_and_the_reason() {
    let t = Instance::data_dir();
    let url = "postgres://nobody@127.0.0.1:1/x";
    let line = t.run(&["--database-url", url, "migrate"]).failed();
    assert!(line.contains(url), "{line}");
    assert!(line.to_lowercase().contains("refused"), "the reason is given, not a pool timeout: {line}");
}

#[test]
fn a_data_dir_that_cannot_be_created_exits_1_naming_the_path() {
    let t = Instance { db_args: vec!["--data-dir".into(), "/proc/forbidden".into()], ..Instance::data_dir() };
    let line = t.run(&["user", "list"]).failed();
    assert!(line.contains("/proc/forbidden"), "{line}");
}

#[test]
fn a_data_dir_holding_a_file_that_is_not_a_database_exits_1_naming_it() {
    let t = Instance::data_dir();
    std::fs::create_dir_all(t.path("data")).expect("data dir");
    std::fs::write(t.path("data/tutti.db"), b"these are not the data you are looking for\n").expect("write");
    let line = t.run(&["user", "list"]).failed();
    assert!(line.contains(&t.path("data/tutti.db").display().to_string()), "{line}");
    assert!(line.contains("not a database"), "the reason is given, not a pool timeout: {line}");
}

#[tokio::test]
async fn demo_loads_two_workspaces_prints_the_sign_in_accounts_and_changes_nothing_when_run_again() {
    let t = Instance::data_dir();
    let out = t.run(&["demo"]).ok();
    assert!(out.contains("password tutti-demo-2026"), "{out}");
    assert!(out.contains("demo channels: they publish nowhere"), "{out}");
    assert!(out.contains("@maisonlumiere@mastodon.example in /w/maison-lumiere"), "{out}");
    let emails = t.emails();
    for account in ["admin@demo.tutti.test", "camille.martin@demo.tutti.test", "noah.brooks@demo.tutti.test"]
    {
        assert!(out.contains(account), "{account} is printed: {out}");
        assert!(emails.iter().any(|e| e == account), "{account} exists: {emails:?}");
    }
    let slugs: Vec<Value> = t
        .json(&["workspace", "list", "--json"])
        .as_array()
        .expect("array")
        .iter()
        .map(|w| w["slug"].clone())
        .collect();
    assert_eq!(slugs, [json!("maison-lumiere"), json!("northwind-coffee")]);

    let before = t.snapshot().await;
    let again = t.run(&["demo"]).ok();
    assert!(again.contains("password tutti-demo-2026"), "the accounts are printed again: {again}");
    assert_eq!(t.snapshot().await, before, "a second demo changes nothing");
}

#[test]
fn a_query_nested_ten_thousand_deep_is_refused_by_query_test_without_a_crash() {
    let i = Instance::data_dir();
    let deep = format!("{}tutti{}", "(".repeat(10_000), ")".repeat(10_000));
    let line = i.run_with_stdin(&["query", "test", "--query", &deep], "tutti\n").failed();
    assert!(line.contains("col 2049: query too long: at most 2048 bytes (20005 here)"), "{line}");
    let deep = format!("{}tutti{}", "(".repeat(1_000), ")".repeat(1_000));
    let line = i.run_with_stdin(&["query", "test", "--query", &deep], "tutti\n").failed();
    assert!(line.contains("col 33: too deeply nested"), "{line}");
    // The worst case of proximity answers at once: `b`, 120 other words, then 120 `a`.
    let mut far: Vec<String> = vec!["b".into()];
    far.extend((0..120).map(|i| format!("mot{i}")));
    far.extend(std::iter::repeat_n("a".to_owned(), 120));
    let near = format!("{} b", far[1..].join(" "));
    let posts = format!("{}\n{near}\n", far.join(" "));
    let out = i.run_with_stdin(&["query", "test", "--query", "\"a a a a a a b\"~100"], &posts).ok();
    assert_eq!(out, format!("{near}\n"));
}
