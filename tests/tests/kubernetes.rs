//! The Kubernetes manifests of `deploy/kubernetes` (docs/deploy.md, "Kubernetes"), checked offline:
//! every kustomization renders (with Debian's kubectl, [`acnslab_tests::kubectl`]) into objects
//! that `kubernetes-validate --strict` accepts against the Kubernetes API's schemas, and a manifest
//! broken on purpose is refused; the lab's ports in the StatefulSet and the Service are the
//! default lab's; the scenario Job's pods, run as the real binary with the Job's own arguments,
//! run every scenario file of its ConfigMap exactly once; the classroom's lab pod, run the same
//! way, serves its exercise's grade, and the teacher's page lists every pod of the StatefulSet.
//! Nothing here talks to a cluster.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use acnslab_tests::{
    acnslab_binary, deploy_python, free_base_port, http_get, kubectl, run_with_timeout, Finished,
};
use serde::Deserialize;
use serde_norway::Value;

fn manifests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/kubernetes")
}

/// Every folder under `deploy/kubernetes` with a `kustomization.yaml`, sorted.
fn kustomizations() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        if dir.join("kustomization.yaml").is_file() {
            found.push(dir.to_path_buf());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        entries.sort();
        for e in entries {
            walk(&e, found);
        }
    }
    let mut found = Vec::new();
    walk(&manifests(), &mut found);
    found
}

/// `kubectl kustomize DIR`: the rendered objects as YAML.
fn render(dir: &Path) -> String {
    let run = run_with_timeout(
        Command::new(kubectl()).arg("kustomize").arg(dir),
        None,
        Duration::from_secs(120),
    );
    run.assert_success();
    run.stdout
}

/// The documents of a YAML stream.
fn documents(yaml: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(yaml)
        .map(|doc| Value::deserialize(doc).expect("kubectl kustomize writes YAML"))
        .collect()
}

/// `kubernetes-validate --strict FILE` in the deployment venv.
fn validate(file: &Path) -> Finished {
    run_with_timeout(
        Command::new(deploy_python())
            .args(["-m", "kubernetes_validate", "--strict"])
            .arg(file),
        None,
        Duration::from_secs(300),
    )
}

fn object<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"].as_str() == Some(kind))
        .unwrap_or_else(|| panic!("no {kind} among {objects:#?}"))
}

fn rendered_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn name_of(dir: &Path) -> String {
    dir.strip_prefix(manifests())
        .unwrap_or(dir)
        .display()
        .to_string()
}

#[test]
fn every_kustomization_renders_objects_the_kubernetes_api_accepts() {
    let all = kustomizations();
    let names: Vec<String> = all.iter().map(|d| name_of(d)).collect();
    assert_eq!(
        names,
        ["base", "jobs/scenarios", "overlays/classroom"],
        "a kustomization was added or removed: check it here and in docs/deploy.md"
    );
    let out = rendered_dir();
    for dir in &all {
        let yaml = render(dir);
        let file = out
            .path()
            .join(format!("{}.yaml", name_of(dir).replace('/', "-")));
        std::fs::write(&file, &yaml).expect("write the rendered objects");
        let run = validate(&file);
        assert_eq!(
            run.code(),
            0,
            "{} does not validate\n{}\n{yaml}",
            name_of(dir),
            run.describe()
        );
        let objects = documents(&yaml);
        // every object passed, and one line says so for each
        let passed = run
            .stdout
            .lines()
            .filter(|l| l.contains(" passed for resource "))
            .count();
        assert_eq!(passed, objects.len(), "{}", run.describe());
    }

    // the classroom: N pods at once, each its own name, in their own namespace
    let classroom = documents(&render(&manifests().join("overlays/classroom")));
    let set = object(&classroom, "StatefulSet");
    assert_eq!(set["spec"]["replicas"].as_u64(), Some(30));
    assert_eq!(
        set["spec"]["podManagementPolicy"].as_str(),
        Some("Parallel")
    );
    let service = classroom
        .iter()
        .find(|o| o["kind"] == "Service" && o["metadata"]["name"] == "acnslab")
        .expect("the labs' Service");
    assert_eq!(service["spec"]["clusterIP"].as_str(), Some("None"));
    for o in &classroom {
        assert_eq!(
            o["metadata"]["namespace"].as_str(),
            Some("classroom"),
            "{o:#?}"
        );
    }
    // the Service selects the StatefulSet's pods
    let labels = &set["spec"]["template"]["metadata"]["labels"];
    assert_eq!(&service["spec"]["selector"], labels);
    assert_eq!(&set["spec"]["selector"]["matchLabels"], labels);
}

#[test]
fn a_broken_manifest_fails_validation() {
    let yaml = render(&manifests().join("base"));
    let out = rendered_dir();
    let cases = [
        // a misspelt field: only strict validation refuses it
        (
            "  serviceName: acnslab\n",
            "  serviceName: acnslab\n  replica: 2\n",
            "replica",
        ),
        // a port that is not a number
        (
            "containerPort: 2203",
            "containerPort: twenty-two",
            "twenty-two",
        ),
    ];
    for (from, to, named) in cases {
        assert!(
            yaml.contains(from),
            "{from:?} not in the rendered base:\n{yaml}"
        );
        let file = out.path().join("broken.yaml");
        std::fs::write(&file, yaml.replacen(from, to, 1)).expect("write");
        let run = validate(&file);
        assert_ne!(run.code(), 0, "{to:?} was accepted\n{}", run.describe());
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(
            said.contains(named),
            "the refusal should name {named:?}\n{said}"
        );
    }
}

#[test]
fn the_labs_ports_are_the_default_labs_in_the_pod_and_the_service() {
    let objects = documents(&render(&manifests().join("base")));
    let set = object(&objects, "StatefulSet");
    let container = &set["spec"]["template"]["spec"]["containers"][0];
    let declared: BTreeSet<(String, u64)> = container["ports"]
        .as_sequence()
        .expect("container ports")
        .iter()
        .map(|p| {
            let name = p["name"].as_str().expect("a named port").to_string();
            (name, p["containerPort"].as_u64().expect("a port number"))
        })
        .collect();
    let layout: BTreeSet<u64> = acnslab::topology::Topology::default_lab()
        .fixed_ports(true, true)
        .into_iter()
        // the image servers' FTP and HTTP serve the devices inside the pod
        .filter(|(what, _)| !what.starts_with("images "))
        .map(|(_, port)| u64::from(port))
        .collect();
    let numbers: BTreeSet<u64> = declared.iter().map(|(_, p)| *p).collect();
    assert_eq!(numbers, layout, "the pod's ports are the default lab's");
    let service = object(&objects, "Service");
    let served: BTreeSet<(String, u64)> = service["spec"]["ports"]
        .as_sequence()
        .expect("service ports")
        .iter()
        .map(|p| {
            assert_eq!(p["targetPort"], p["name"], "{p:#?}");
            let name = p["name"].as_str().expect("a named port").to_string();
            (name, p["port"].as_u64().expect("a port number"))
        })
        .collect();
    assert_eq!(served, declared, "the Service serves every port of the pod");
    // the probes ask the lab's health port
    let health = declared
        .iter()
        .find(|(n, _)| n == "health")
        .expect("health");
    assert_eq!(
        u64::from(acnslab::topology::Topology::default_lab().health_port()),
        health.1
    );
    for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
        assert_eq!(
            container[probe]["httpGet"]["path"].as_str(),
            Some("/healthz")
        );
        assert_eq!(container[probe]["httpGet"]["port"].as_str(), Some("health"));
    }
}

#[test]
fn the_scenario_jobs_pods_run_every_file_of_its_config_map_once() {
    let objects = documents(&render(&manifests().join("jobs/scenarios")));
    let job = object(&objects, "Job");
    let shards = job["spec"]["completions"].as_u64().expect("completions");
    assert_eq!(job["spec"]["completionMode"].as_str(), Some("Indexed"));
    assert_eq!(job["spec"]["parallelism"].as_u64(), Some(shards));
    let pod = &job["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let args: Vec<String> = container["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("a string").to_string())
        .collect();
    assert!(
        args.contains(&format!("$(SHARD)/{shards}")),
        "--shard's N is the Job's completions ({shards}): {args:?}"
    );
    assert_eq!(
        container["env"][0]["valueFrom"]["fieldRef"]["fieldPath"].as_str(),
        Some("metadata.annotations['batch.kubernetes.io/job-completion-index']")
    );
    // the ConfigMap the pods mount at /scenarios, by its generated name
    let config = object(&objects, "ConfigMap");
    let mounted = pod["volumes"]
        .as_sequence()
        .expect("volumes")
        .iter()
        .find_map(|v| v["configMap"]["name"].as_str())
        .expect("a ConfigMap volume");
    assert_eq!(config["metadata"]["name"].as_str(), Some(mounted));
    let files = config["data"].as_mapping().expect("the scenario files");
    assert!(!files.is_empty());

    // each pod, as the real binary with the Job's arguments: the ConfigMap's files as a folder,
    // its index for $(SHARD)
    let work = rendered_dir();
    let scenarios = work.path().join("scenarios");
    let results = work.path().join("results");
    std::fs::create_dir_all(&scenarios).expect("mkdir");
    let mut names = BTreeSet::new();
    for (name, text) in files {
        let name = name.as_str().expect("a file name");
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios")
            .join(name);
        if shipped.is_file() {
            // the example is a shipped scenario, unchanged
            assert_eq!(
                std::fs::read_to_string(&shipped).expect("read"),
                text.as_str().expect("text"),
                "{name} differs from scenarios/{name}"
            );
        }
        std::fs::write(scenarios.join(name), text.as_str().expect("text")).expect("write");
        names.insert(name.to_string());
    }
    let mut ran = Vec::new();
    for shard in 0..shards {
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                a.replace("$(SHARD)", &shard.to_string())
                    .replace("/scenarios", &scenarios.display().to_string())
                    .replace("/results", &results.display().to_string())
            })
            .collect();
        let run = run_with_timeout(
            Command::new(acnslab_binary()).args(&args),
            None,
            Duration::from_secs(300),
        );
        run.assert_success();
        let junit = std::fs::read_to_string(results.join(format!("junit-{shard}.xml")))
            .unwrap_or_else(|e| panic!("shard {shard} wrote no JUnit file: {e}"));
        let passed = run
            .stdout
            .lines()
            .filter(|l| l.starts_with("PASS "))
            .count();
        assert_eq!(
            junit.matches("<testcase ").count(),
            passed,
            "{junit}\n{}",
            run.describe()
        );
        ran.extend(
            run.stdout
                .lines()
                .filter(|l| l.starts_with("PASS "))
                .map(String::from),
        );
    }
    assert_eq!(ran.len(), names.len(), "every file once: {ran:#?}");
}

/// The string items of a YAML sequence.
fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .expect("a sequence")
        .iter()
        .map(|a| a.as_str().expect("a string").to_string())
        .collect()
}

/// The file `name` of the ConfigMap generated as `prefix-HASH`.
fn config_file<'a>(objects: &'a [Value], prefix: &str, name: &str) -> &'a str {
    objects
        .iter()
        .find(|o| {
            o["kind"] == "ConfigMap"
                && o["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(&format!("{prefix}-")))
        })
        .and_then(|o| o["data"][name].as_str())
        .unwrap_or_else(|| panic!("no {name} in ConfigMap {prefix}"))
}

#[test]
fn the_classroom_pods_run_the_exercise_and_the_teacher_watches_every_one() {
    let objects = documents(&render(&manifests().join("overlays/classroom")));
    let set = object(&objects, "StatefulSet");
    let replicas = set["spec"]["replicas"].as_u64().expect("replicas");
    let container = &set["spec"]["template"]["spec"]["containers"][0];
    let args = strings(&container["args"]);
    assert_eq!(args[..2], ["exercise", "start"], "{args:?}");

    // the exercise of the ConfigMap is a shipped one, unchanged, and reads
    let path = Path::new(&args[2]);
    let name = path.file_name().expect("a file").to_string_lossy();
    let text = config_file(&objects, "acnslab-exercise", &name);
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/exercises")
        .join(name.as_ref());
    assert_eq!(std::fs::read_to_string(&shipped).expect("read"), text);
    let exercise = acnslab::exercise::parse(text, path).expect("the exercise reads");
    let mut topology = exercise.topology.clone();
    topology.lab.base_port = 2201;
    assert_eq!(
        topology.health_port(),
        2501,
        "the pod's ports are the default lab's layout"
    );

    // the pod's arguments, run as they are but for the folders (and free ports): the lab serves
    // its grade on the health port, with the Secret's password
    let work = rendered_dir();
    let state = work.path().join("state");
    let exercise_file = work.path().join(name.as_ref());
    std::fs::write(&exercise_file, text).expect("write");
    let password_file = work.path().join("password");
    std::fs::write(&password_file, "Classroom-pw-1\n").expect("write");
    let base = free_base_port(5);
    let local: Vec<String> = args
        .iter()
        .map(|a| match a.as_str() {
            "/state" => state.display().to_string(),
            "/run/secrets/acnslab/password" => password_file.display().to_string(),
            other if other == args[2] => exercise_file.display().to_string(),
            other => other.to_string(),
        })
        .chain(["--base-port".into(), base.to_string(), "--detach".into()])
        .collect();
    let _down = acnslab_tests::DownOnDrop(state.clone());
    let started = run_with_timeout(
        Command::new(acnslab_binary()).args(&local),
        None,
        Duration::from_secs(180),
    );
    started.assert_success();
    let health = std::net::SocketAddr::from(([127, 0, 0, 1], base + 300));
    let (status, body) = http_get(health, "lab", "/exercise", None).expect("GET /exercise");
    assert_eq!(status, 200, "{body}");
    let grade: acnslab::exercise::Grade = serde_json::from_str(&body).expect("a grade");
    assert_eq!(grade.exercise, exercise.name);

    // the teacher's page watches every pod, by its name under the headless Service, on the
    // health port the probes ask
    let teacher = objects
        .iter()
        .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "acnslab-teacher")
        .expect("the teacher's Deployment");
    let args = strings(&teacher["spec"]["template"]["spec"]["containers"][0]["args"]);
    assert_eq!(args[..2], ["classroom", "teacher"], "{args:?}");
    let labs_at = args
        .iter()
        .position(|a| a == "--labs")
        .map(|i| args[i + 1].clone())
        .expect("--labs");
    let labs_file = Path::new(&labs_at)
        .file_name()
        .expect("a file")
        .to_string_lossy()
        .into_owned();
    let listed = acnslab::classroom::teacher::labs::parse(
        config_file(&objects, "acnslab-teacher-labs", &labs_file),
        Path::new(&labs_file),
    )
    .expect("the labs file reads");
    let names: Vec<String> = listed.iter().map(|l| l.name.clone()).collect();
    let pods: Vec<String> = (0..replicas).map(|i| format!("acnslab-{i}")).collect();
    assert_eq!(
        names, pods,
        "labs.txt lists every pod of the StatefulSet (replicas.yaml)"
    );
    for lab in &listed {
        assert_eq!(lab.url.host, format!("{}.acnslab", lab.name));
        assert_eq!(lab.url.port, 2501);
    }
    let service = objects
        .iter()
        .find(|o| o["kind"] == "Service" && o["metadata"]["name"] == "acnslab-teacher")
        .expect("the teacher's Service");
    assert_eq!(
        &service["spec"]["selector"],
        &teacher["spec"]["template"]["metadata"]["labels"]
    );
    assert_ne!(
        &service["spec"]["selector"], &set["spec"]["template"]["metadata"]["labels"],
        "the labs' pods are not the page's"
    );
}
