//! House rules checked on the whole tree: every Rust file opens with a `//!` line saying what
//! lives there, no test is switched off, no file grows past 1,200 lines, production code never
//! reads a test's variables, only the store speaks SQL, the pure crates stay pure, the use cases reach no network crate
//! nor HTTP client, and inside
//! each crate the modules import one another one way (no circle).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn workspace_files() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&crates, &mut files);
    assert!(files.len() > 20, "found the workspace's files");
    files
}

#[test]
fn every_rust_file_starts_with_a_doc_line() {
    let missing: Vec<_> = workspace_files()
        .into_iter()
        .filter(|p| !std::fs::read_to_string(p).unwrap().starts_with("//!"))
        .collect();
    assert!(missing.is_empty(), "files without a //! first line: {missing:#?}");
}

#[test]
fn no_test_is_ignored_or_expected_to_panic() {
    let banned = [concat!("#[", "ignore"), concat!("#[", "should_panic")];
    let offenders: Vec<_> = workspace_files()
        .into_iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            banned.iter().any(|b| text.contains(b))
        })
        .collect();
    assert!(offenders.is_empty(), "switched-off tests in {offenders:#?}");
}

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn crate_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(crates_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The names a manifest lists as dependencies of the crate's own code: the `[dependencies]`
/// section and its target-specific forms, not `[dev-dependencies]` nor `[build-dependencies]`.
fn runtime_dependencies(manifest: &str) -> Vec<String> {
    let mut in_deps = false;
    let mut names = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line == "[dependencies]"
                || (line.starts_with("[target.") && line.ends_with(".dependencies]"));
            continue;
        }
        if in_deps && !line.is_empty() && !line.starts_with('#') {
            if let Some((name, _)) = line.split_once('=') {
                names.push(name.trim().trim_end_matches(".workspace").trim().to_string());
            }
        }
    }
    names
}

fn dependencies_of(krate: &str) -> Vec<String> {
    runtime_dependencies(&std::fs::read_to_string(crates_dir().join(krate).join("Cargo.toml")).unwrap())
}

#[test]
fn only_the_store_speaks_sql() {
    // `test-support` is only ever a dev-dependency: it makes test databases.
    let offenders: Vec<_> = crate_names()
        .into_iter()
        .filter(|c| c != "store" && c != "test-support")
        .filter(|c| dependencies_of(c).iter().any(|d| d == "sqlx"))
        .collect();
    assert!(offenders.is_empty(), "crates other than the store depend on sqlx: {offenders:?}");
    let leaks: Vec<_> = crate_names()
        .into_iter()
        .filter(|c| dependencies_of(c).iter().any(|d| d == "tutti-test-support"))
        .collect();
    assert!(leaks.is_empty(), "production code depends on the test support crate: {leaks:?}");
}

#[test]
fn the_pure_crates_depend_on_no_other_tutti_crate() {
    for krate in ["domain", "listen", "nlp"] {
        let inner: Vec<_> = dependencies_of(krate).into_iter().filter(|d| d.starts_with("tutti-")).collect();
        assert!(inner.is_empty(), "crates/{krate} must stay pure, yet depends on {inner:?}");
    }
}

/// A workspace crate's package name, from the directory it lives in.
fn package_of(krate: &str) -> String {
    let manifest = std::fs::read_to_string(crates_dir().join(krate).join("Cargo.toml")).unwrap();
    let line = manifest.lines().find(|l| l.trim_start().starts_with("name")).unwrap();
    line.split('"').nth(1).unwrap().to_string()
}

/// Every package the code of a workspace crate reaches: through the workspace's manifests
/// (their runtime sections only), then through the lockfile for everything outside the
/// workspace (every version of a name counts, so the answer errs on the side of reaching).
fn reached_from(krate: &str) -> BTreeSet<String> {
    let workspace: HashMap<String, String> = crate_names().into_iter().map(|c| (package_of(&c), c)).collect();
    let lock = std::fs::read_to_string(crates_dir().join("../Cargo.lock")).unwrap();
    let mut locked: HashMap<String, Vec<String>> = HashMap::new();
    for package in lock.split("[[package]]").skip(1) {
        let name = package.lines().find_map(|l| l.strip_prefix("name = ")).unwrap().trim_matches('"');
        let deps = locked.entry(name.to_string()).or_default();
        if let Some(list) = package.split("dependencies = [").nth(1) {
            let list = list.split(']').next().unwrap();
            deps.extend(
                list.split(',')
                    .filter_map(|d| d.trim().trim_matches('"').split(' ').next())
                    .filter(|d| !d.is_empty())
                    .map(String::from),
            );
        }
    }
    let mut reached = BTreeSet::new();
    let mut todo = vec![package_of(krate)];
    while let Some(package) = todo.pop() {
        let next = match workspace.get(&package) {
            Some(dir) => dependencies_of(dir),
            None => locked.get(&package).cloned().unwrap_or_default(),
        };
        for dep in next {
            if reached.insert(dep.clone()) {
                todo.push(dep);
            }
        }
    }
    reached
}

#[test]
fn the_use_cases_reach_no_network_crate_nor_http_client() {
    // The walk does see a client where there is one, so the check below can fail.
    assert!(reached_from("outbound").contains("reqwest"));
    let forbidden = [
        "tutti-bluesky",
        "tutti-mastodon",
        "tutti-networks",
        "tutti-feeds",
        "tutti-outbound",
        "reqwest",
        "hyper",
        "tokio-tungstenite",
    ];
    for krate in ["app", "connector", "domain", "store"] {
        let reached = reached_from(krate);
        let found: Vec<_> = forbidden.iter().filter(|f| reached.contains(**f)).collect();
        assert!(
            found.is_empty(),
            "crates/{krate} reaches {found:?}; networks and HTTP belong behind the connectors"
        );
    }
}

const MAX_LINES: usize = 1200;

#[test]
fn no_file_is_over_1200_lines() {
    let long: Vec<_> = workspace_files()
        .into_iter()
        .map(|p| (std::fs::read_to_string(&p).unwrap().lines().count(), p))
        .filter(|(n, _)| *n > MAX_LINES)
        .collect();
    assert!(long.is_empty(), "files over {MAX_LINES} lines (split them by subject): {long:#?}");
}

/// A file's production part: everything before its first `#[cfg(test)]`.
fn production_part(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |at| &text[..at])
}

#[test]
fn production_code_reads_no_test_variable() {
    let mut offenders = Vec::new();
    for krate in crate_names().into_iter().filter(|c| c != "test-support" && c != "fuzz") {
        let mut files = Vec::new();
        let src = crates_dir().join(&krate).join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
        for file in files {
            if production_part(&std::fs::read_to_string(&file).unwrap()).contains(concat!("TUTTI_", "TEST_"))
            {
                offenders.push(file);
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "production code reads test variables (inject the fault instead): {offenders:#?}"
    );
}

/// One crate's modules as files, and which module each file's production code refers to.
struct ModuleGraph {
    modules: Vec<String>,
    edges: Vec<(usize, usize)>,
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The module a file under `src` is: `a/b.rs` and `a/b/mod.rs` are `a::b`; the crate root is "".
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> =
        rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts.join("::")
}

/// Every path the text names from `prefix` (`crate::`, `super::`, `self::` or a child's name),
/// braces expanded: `crate::{a::b, c}` names `a::b` and `c`.
fn paths_after(text: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find(prefix) {
        let at = from + found;
        from = at + prefix.len();
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        let mut tails = Vec::new();
        read_path(&text[from..], &mut Vec::new(), &mut tails);
        out.extend(tails);
    }
    out
}

/// Reads `a::b::{c, d::e}` into full paths appended to `head`.
fn read_path(text: &str, head: &mut Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut pos = 0;
    let mut pushed = 0;
    loop {
        let rest = &text[pos..];
        let trimmed = rest.trim_start();
        pos += rest.len() - trimmed.len();
        if let Some(group) = trimmed.strip_prefix('{') {
            pos += 1;
            let mut inner = group;
            loop {
                let mut sub = head.clone();
                let used = read_path(inner, &mut sub, out);
                pos += used;
                inner = &text[pos..];
                let t = inner.trim_start();
                pos += inner.len() - t.len();
                if let Some(next) = t.strip_prefix(',') {
                    pos += 1;
                    inner = next;
                    if inner.trim_start().starts_with('}') {
                        let t2 = inner.trim_start();
                        pos += inner.len() - t2.len() + 1;
                        break;
                    }
                } else {
                    if t.starts_with('}') {
                        pos += 1;
                    }
                    break;
                }
            }
            head.truncate(head.len() - pushed);
            return pos;
        }
        let ident: String = trimmed.chars().take_while(|c| is_ident(*c)).collect();
        if ident.is_empty() {
            break;
        }
        pos += ident.len();
        head.push(ident);
        pushed += 1;
        if text[pos..].starts_with("::") {
            pos += 2;
        } else {
            break;
        }
    }
    out.push(head.clone());
    head.truncate(head.len() - pushed);
    pos
}

fn module_graph(krate: &str) -> ModuleGraph {
    module_graph_at(&crates_dir().join(krate).join("src"))
}

fn module_graph_at(src: &Path) -> ModuleGraph {
    let mut files = Vec::new();
    if src.is_dir() {
        rust_files(src, &mut files);
    }
    files.retain(|f| !f.components().any(|c| c.as_os_str() == "bin"));
    let modules: Vec<String> = files.iter().map(|f| module_of(src, f)).collect();
    let index = |m: &str| modules.iter().position(|x| x == m);
    let related = |a: &str, b: &str| {
        a.is_empty()
            || b.is_empty()
            || a.starts_with(&format!("{b}::"))
            || b.starts_with(&format!("{a}::"))
            || a == b
    };
    let mut edges = Vec::new();
    for (from, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).unwrap();
        let code: String = production_part(&text)
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let me: Vec<String> = if modules[from].is_empty() {
            Vec::new()
        } else {
            modules[from].split("::").map(str::to_string).collect()
        };
        let mut named: Vec<Vec<String>> = paths_after(&code, "crate::");
        for tail in paths_after(&code, "self::") {
            named.push(me.iter().cloned().chain(tail).collect());
        }
        for tail in paths_after(&code, "super::") {
            let mut base = me.clone();
            let mut tail = tail.as_slice();
            base.pop();
            while tail.first().is_some_and(|s| s == "super") {
                base.pop();
                tail = &tail[1..];
            }
            named.push(base.into_iter().chain(tail.iter().cloned()).collect());
        }
        let is_child = |m: &str| match modules[from].as_str() {
            "" => !m.is_empty() && !m.contains("::"),
            me => m.strip_prefix(me).and_then(|r| r.strip_prefix("::")).is_some_and(|r| !r.contains("::")),
        };
        for child in modules.iter().filter(|m| is_child(m)) {
            let name = child.rsplit("::").next().unwrap();
            for tail in paths_after(&code, &format!("{name}::")) {
                named.push(me.iter().cloned().chain([name.to_string()]).chain(tail).collect());
            }
        }
        for path in named {
            // The longest prefix of the path that is a module of this crate.
            let target = (1..=path.len()).rev().map(|n| path[..n].join("::")).find_map(|m| index(&m));
            if let Some(to) = target {
                if !related(&modules[from], &modules[to]) && !edges.contains(&(from, to)) {
                    edges.push((from, to));
                }
            }
        }
    }
    ModuleGraph { modules, edges }
}

/// The circles of a graph, each as the modules it goes through (one per strongly connected
/// component with more than one module).
fn circles(graph: &ModuleGraph) -> Vec<Vec<String>> {
    let n = graph.modules.len();
    let reach = |start: usize| {
        let mut seen = vec![false; n];
        let mut stack = vec![start];
        while let Some(v) = stack.pop() {
            for &(a, b) in &graph.edges {
                if a == v && !seen[b] {
                    seen[b] = true;
                    stack.push(b);
                }
            }
        }
        seen
    };
    let reachable: Vec<Vec<bool>> = (0..n).map(reach).collect();
    let mut done = vec![false; n];
    let mut out = Vec::new();
    for v in 0..n {
        if done[v] || !reachable[v][v] {
            continue;
        }
        let mut component: Vec<String> = Vec::new();
        for w in 0..n {
            if reachable[v][w] && reachable[w][v] {
                done[w] = true;
                component.push(graph.modules[w].clone());
            }
        }
        component.sort();
        out.push(component);
    }
    out
}

#[test]
fn modules_import_one_another_one_way() {
    // A module may use its own submodules and its parents (a folder's shared ground); between
    // any other two modules of a crate, the uses must not come back round.
    let mut found = Vec::new();
    for krate in crate_names() {
        for circle in circles(&module_graph(&krate)) {
            found.push(format!("crates/{krate}: {}", circle.join(" ↔ ")));
        }
    }
    assert!(
        found.is_empty(),
        "modules that import one another in a circle (give the shared piece its own module):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_circle_check_sees_a_circle_through_a_use_group() {
    let dir = std::env::temp_dir().join(format!("tutti-tidy-circle-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src/pages")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "//! x\nmod a;\nmod b;\nmod pages;\n").unwrap();
    std::fs::write(dir.join("src/a.rs"), "//! x\nuse crate::{b::thing, pages::inbox};\n").unwrap();
    std::fs::write(dir.join("src/b.rs"), "//! x\npub fn thing() {}\n").unwrap();
    std::fs::write(dir.join("src/pages/mod.rs"), "//! x\nmod inbox;\nfn r() { inbox::page(); }\n").unwrap();
    std::fs::write(
        dir.join("src/pages/inbox.rs"),
        "//! x\nuse super::super::a;\npub fn page() { super::r(); }\n#[cfg(test)]\nmod tests { use crate::b; }\n",
    )
    .unwrap();
    let graph = module_graph_at(&dir.join("src"));
    assert_eq!(circles(&graph), vec![vec!["a".to_string(), "pages::inbox".to_string()]]);
    // The same files without the back edge: no circle, though the folder and its page use each
    // other and the test module uses `b`.
    std::fs::write(dir.join("src/pages/inbox.rs"), "//! x\npub fn page() { super::r(); }\n").unwrap();
    assert!(circles(&module_graph_at(&dir.join("src"))).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}
