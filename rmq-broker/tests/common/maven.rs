//! The Maven projects behind the Java side of the tests (`tests/java/apache`,
//! `tests/java/client`, `examples/spring-boot`): [`maven_build`] compiles one and returns its
//! runtime class path, running Maven only when the project's files changed since the last build
//! (a fingerprint next to the output), one build at a time across test binaries (a file lock).

use std::collections::hash_map::DefaultHasher;
use std::fs::{self, File};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use super::*;

// ----------------------------------------------------------------------------- maven

/// A compiled Maven project: its classes and its runtime class path.
#[derive(Debug, Clone)]
pub struct MavenBuild {
    /// `classes:dep.jar:dep.jar...`, ready for `java -cp`, per module (in the order asked).
    pub classpaths: Vec<String>,
}

impl MavenBuild {
    /// The class path of the (first) module.
    pub fn classpath(&self) -> &str {
        &self.classpaths[0]
    }
}

/// The `java` launcher: `$JAVA_HOME/bin/java` when set, else `java` on the PATH.
pub fn java_binary() -> PathBuf {
    env_path("JAVA_HOME")
        .map(|h| h.join("bin").join("java"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("java"))
}

/// `tests/java/<name>` of the workspace.
pub fn java_project(name: &str) -> PathBuf {
    workspace_root().join("tests").join("java").join(name)
}

fn fingerprint(project: &Path, extra_args: &[&str]) -> String {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            if name == "target" || name.to_string_lossy().starts_with('.') {
                continue;
            }
            if p.is_dir() {
                walk(&p, files);
            } else {
                files.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(project, &mut files);
    files.sort();
    let mut h = DefaultHasher::new();
    extra_args.hash(&mut h);
    for f in &files {
        f.hash(&mut h);
        fs::read(f).unwrap_or_default().hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

/// Compiles the Maven project in `project` (`mvn compile dependency:build-classpath`), each of
/// `modules` (`"."` for a single-module project) into `<module>/<target_dir>`, and returns their
/// class paths. Maven runs only when a file of the project changed since the last successful
/// build; builds are serialized by a lock file. `extra_args` go to Maven (e.g.
/// `-Drocketmq.version=4.9.7`). Panics with Maven's output when the build fails.
pub fn maven_build(
    project: &Path,
    target_dir: &str,
    extra_args: &[&str],
    modules: &[&str],
) -> MavenBuild {
    let out = project.join(target_dir);
    fs::create_dir_all(&out).unwrap_or_else(|e| panic!("create {}: {e}", out.display()));
    let lock_path = out.join(".rmq-build.lock");
    let lock =
        File::create(&lock_path).unwrap_or_else(|e| panic!("create {}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("lock {}: {e}", lock_path.display()));
    let stamp_path = out.join("rmq-fingerprint");
    let module_out = |m: &str| project.join(m).join(target_dir);
    let print = fingerprint(project, extra_args);
    let fresh = fs::read_to_string(&stamp_path).is_ok_and(|s| s.trim() == print)
        && modules.iter().all(|m| {
            module_out(m).join("classpath.txt").exists() && module_out(m).join("classes").exists()
        });
    if !fresh {
        let _ = fs::remove_file(&stamp_path);
        let started = Instant::now();
        let output = Command::new("mvn")
            .current_dir(project)
            .args(["-B", "-q", "-Dstyle.color=never"])
            .args(extra_args)
            .args([
                "compile",
                "dependency:build-classpath",
                "-Dmdep.includeScope=runtime",
            ])
            // relative: each module writes its own
            .arg(format!("-Dmdep.outputFile={target_dir}/classpath.txt"))
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run mvn (is Maven installed?): {e}"));
        assert!(
            output.status.success(),
            "mvn compile in {} failed ({}):\n{}\n{}",
            project.display(),
            output.status,
            tail(&String::from_utf8_lossy(&output.stdout), 80),
            tail(&String::from_utf8_lossy(&output.stderr), 40),
        );
        eprintln!(
            "built {} {} in {:.1?}",
            project.display(),
            extra_args.join(" "),
            started.elapsed()
        );
        fs::write(&stamp_path, &print).expect("write the build fingerprint");
    }
    let classpaths = modules
        .iter()
        .map(|m| {
            let dir = module_out(m);
            let cp = dir.join("classpath.txt");
            let deps =
                fs::read_to_string(&cp).unwrap_or_else(|e| panic!("read {}: {e}", cp.display()));
            format!("{}:{}", dir.join("classes").display(), deps.trim())
        })
        .collect();
    MavenBuild { classpaths }
}

/// The launcher project (servers + mqadmin) of `version`, built once per test binary.
pub fn apache_build(version: ApacheVersion) -> MavenBuild {
    static V5: OnceLock<MavenBuild> = OnceLock::new();
    static V4: OnceLock<MavenBuild> = OnceLock::new();
    let cell = match version {
        ApacheVersion::V5 => &V5,
        ApacheVersion::V4 => &V4,
    };
    cell.get_or_init(|| {
        let v = version.version();
        maven_build(
            &java_project("apache"),
            &format!("target/{v}"),
            &[&format!("-Drocketmq.version={v}")],
            &["."],
        )
    })
    .clone()
}

/// The Java client driver project, built once per test binary.
pub fn java_client_build() -> MavenBuild {
    static BUILD: OnceLock<MavenBuild> = OnceLock::new();
    BUILD
        .get_or_init(|| maven_build(&java_project("client"), "target", &[], &["."]))
        .clone()
}

/// The Spring Boot example (`examples/spring-boot`: rocketmq-spring-boot-starter 2.3.5), built
/// once per test binary; class paths of its `producer` and `consumer` modules.
pub fn spring_boot_build() -> MavenBuild {
    static BUILD: OnceLock<MavenBuild> = OnceLock::new();
    BUILD
        .get_or_init(|| {
            maven_build(
                &workspace_root().join("examples").join("spring-boot"),
                "target",
                &[],
                &["producer", "consumer"],
            )
        })
        .clone()
}
