import Foundation
import XCTest
import Yams

/// The Kubernetes manifests of `deploy/kubernetes/`: every one validates against the
/// Kubernetes schema (kubernetes-validate, offline); the CURVE variants (`curve/`) and
/// the coordinator Pod for podman kube play (`podman/`) agree with the main manifests;
/// and podman kube play runs that Pod and the worker Deployment, with the scenario's
/// ConfigMap and the run folder's PersistentVolumeClaim, to the same metrics (all but
/// `wall_` fields) as `fedsim run` on the host.
///
/// The validation needs kubernetes-validate, the run podman and root (`DeploymentTestCase`).
final class KubernetesDeploymentTests: DeploymentTestCase {
    /// The scenario in the manifests' ConfigMap.
    private static let scenarioName = "quickstart"
    private static let manifests = repository.appendingPathComponent("deploy/kubernetes")

    func testManifestsValidateAgainstTheKubernetesSchema() throws {
        try requireDeploymentTools(["kubernetes-validate"], root: false)
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: Self.manifests.path))
            .compactMap { $0 as? String }.filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssert(files.contains("podman/coordinator.yaml") && files.contains("curve/worker.yaml"), "\(files)")
        let resourceCount = try files.map { try resources($0).count }.reduce(0, +)
        let result = try shell(["kubernetes-validate", "--strict"] + files.map { "deploy/kubernetes/" + $0 })
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output.components(separatedBy: " passed for resource ").count - 1, resourceCount, result.output)
    }

    func testVariantsAgreeWithTheMainManifests() throws {
        let job = try resource("coordinator.yaml", "Job")
        let service = try resource("coordinator.yaml", "Service")
        let deployment = try resource("worker.yaml", "Deployment")
        let coordinatorSpec = try mapping(job, "spec", "template", "spec")
        let workerSpec = try mapping(deployment, "spec", "template", "spec")

        // podman kube play's coordinator is the Job's pod, named as the Service.
        let pod = try resource("podman/coordinator.yaml", "Pod")
        XCTAssertEqual(try canonical(mapping(pod, "spec")), try canonical(coordinatorSpec))
        let serviceName = try XCTUnwrap(mapping(service, "metadata")["name"] as? String)
        XCTAssertEqual(try mapping(pod, "metadata")["name"] as? String, serviceName)
        XCTAssertEqual(try canonical(mapping(service, "spec", "selector")),
                       try canonical(mapping(job, "spec", "template", "metadata", "labels")))

        // The workers reach the coordinator through the Service, run the same image, and
        // are as many as the coordinator waits for.
        let coordinator = try container(coordinatorSpec), worker = try container(workerSpec)
        let port = try XCTUnwrap((mapping(service, "spec")["ports"] as? [[String: Any]])?.first?["port"] as? Int)
        XCTAssertEqual(option("--bind", coordinator), "tcp://*:\(port)")
        XCTAssertEqual(option("--connect", worker), "tcp://\(serviceName):\(port)")
        XCTAssertEqual(option("--scenario", worker), option("coordinator", coordinator))
        XCTAssertEqual(option("--workers", coordinator), try (mapping(deployment, "spec")["replicas"] as? Int).map(String.init))
        for key in ["image", "imagePullPolicy", "workingDir"] {
            XCTAssertEqual(coordinator[key] as? String, worker[key] as? String, key)
        }

        // The ConfigMap holds the scenario file unchanged, and the volumes name the
        // ConfigMap and the claim.
        let configMap = try resource("scenario.yaml", "ConfigMap")
        XCTAssertEqual(try mapping(configMap, "data")["scenario.yaml"] as? String,
                       try String(contentsOfFile: scenario(Self.scenarioName + ".yaml"), encoding: .utf8))
        let claim = try resource("runs.yaml", "PersistentVolumeClaim")
        XCTAssertEqual(try mapping(volume("scenario", coordinatorSpec), "configMap")["name"] as? String,
                       try mapping(configMap, "metadata")["name"] as? String)
        for spec in [coordinatorSpec, try mapping(resource("collect/runs-reader.yaml", "Pod"), "spec")] {
            XCTAssertEqual(try mapping(volume("runs", spec), "persistentVolumeClaim")["claimName"] as? String,
                           try mapping(claim, "metadata")["name"] as? String)
        }

        // The CURVE variants are the same but for the keys: the coordinator gets its
        // secret certificate and the worker's public one, each worker the coordinator's
        // public certificate and the worker's secret one.
        XCTAssertEqual(try canonical(resource("curve/coordinator.yaml", "Service")), try canonical(service))
        let curveJob = try resource("curve/coordinator.yaml", "Job")
        let curveDeployment = try resource("curve/worker.yaml", "Deployment")
        XCTAssertEqual(try canonical(withoutKeys(curveJob)), try canonical(job))
        XCTAssertEqual(try canonical(withoutKeys(curveDeployment)), try canonical(deployment))
        XCTAssertEqual(try keyFiles(curveJob), ["coordinator.key_secret", "worker.key"])
        XCTAssertEqual(try keyFiles(curveDeployment), ["coordinator.key", "worker.key_secret"])
    }

    func testPodmanKubePlayOfTheCoordinatorPodAndWorkerDeploymentMatchesARunOnTheHost() throws {
        try requireDeploymentTools(["podman", "runc"])
        let environment = podmanEnvironment
        let pod = try resource("podman/coordinator.yaml", "Pod")
        let deployment = try resource("worker.yaml", "Deployment")
        let coordinatorSpec = try mapping(pod, "spec")
        let workerSpec = try mapping(deployment, "spec", "template", "spec")
        let replicas = try XCTUnwrap(mapping(deployment, "spec")["replicas"] as? Int)
        // podman names a pod's containers POD-CONTAINER, a Deployment's pods DEPLOYMENT-pod-I,
        // and the volumes it makes after their claim or ConfigMap.
        let coordinatorPod = try XCTUnwrap(mapping(pod, "metadata")["name"] as? String)
        let workerPods = try (0..<replicas).map { "\(try XCTUnwrap(mapping(deployment, "metadata")["name"] as? String))-pod-\($0)" }
        let coordinator = "\(coordinatorPod)-\(try XCTUnwrap(container(coordinatorSpec)["name"] as? String))"
        let workers = try workerPods.map { "\($0)-\(try XCTUnwrap(container(workerSpec)["name"] as? String))" }
        let runs = try XCTUnwrap(mapping(volume("runs", coordinatorSpec), "persistentVolumeClaim")["claimName"] as? String)
        let volumes = [runs, try XCTUnwrap(mapping(volume("scenario", coordinatorSpec), "configMap")["name"] as? String)]
        for (kind, name) in ([coordinatorPod] + workerPods).map({ ("pod", $0) }) + volumes.map({ ("volume", $0) }) {
            if try shell(["podman", kind, "exists", name], environment: environment).status == 0 {
                throw TestFailure("podman has a \(kind) named \(name) already: remove it (podman \(kind) rm -f \(name)) first")
            }
        }

        let image = try makeLocalImage(environment: environment)
        let network = "fedsimkube\(suffix)"
        addTeardownBlock { [self] in
            for name in [coordinatorPod] + workerPods {
                _ = try? shell(["podman", "pod", "rm", "-f", "-t", "0", name], environment: environment)
            }
            for name in volumes { _ = try? shell(["podman", "volume", "rm", "-f", name], environment: environment) }
            _ = try? shell(["podman", "network", "rm", "-f", network], environment: environment)
        }
        let created = try shell(["podman", "network", "create", network], environment: environment)
        XCTAssertEqual(created.status, 0, created.output)

        // The README's three plays, the Pod and the Deployment running the test's image.
        let staged = temporaryFolder()
        try FileManager.default.createDirectory(atPath: staged, withIntermediateDirectories: true)
        func withTestImage(_ file: String) throws -> String {
            let text = try String(contentsOf: Self.manifests.appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(text.components(separatedBy: "image: fedsim:latest").count, 2, file)
            let path = staged + "/" + file.replacingOccurrences(of: "/", with: "-")
            try text.replacingOccurrences(of: "image: fedsim:latest", with: "image: \(image)")
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        for play in [["deploy/kubernetes/runs.yaml"],
                     ["--configmap", "deploy/kubernetes/scenario.yaml", try withTestImage("podman/coordinator.yaml")],
                     [try withTestImage("worker.yaml")]] {
            let result = try kubePlay(["--network", network] + play, environment: environment)
            XCTAssertEqual(result.status, 0, result.output)
        }

        let waited = try shell(["timeout", "300", "podman", "wait", coordinator], environment: environment)
        let log = try shell(["podman", "logs", coordinator], environment: environment).output
        XCTAssertEqual(waited.output.trimmingCharacters(in: .whitespacesAndNewlines), "0", log)
        let joined = log.split(separator: "\n").filter { $0.contains("fedsim coordinator: worker") && $0.contains("joined") }
        XCTAssertEqual(joined.count, replicas, log)
        XCTAssert(log.contains("without --keys: anyone who reaches this port can join"), log)
        for worker in workers {
            let output = try shell(["podman", "logs", worker], environment: environment).output
            XCTAssert(output.contains("(run complete)"), output)
        }

        let mountpoint = try shell(["podman", "volume", "inspect", "--format", "{{.Mountpoint}}", runs], environment: environment)
        XCTAssertEqual(mountpoint.status, 0, mountpoint.output)
        let run = try XCTUnwrap(option("--out", try container(coordinatorSpec)))
        let metrics = try deterministicMetrics(mountpoint.output.trimmingCharacters(in: .whitespacesAndNewlines)
                                               + "/" + URL(fileURLWithPath: run).lastPathComponent)
        XCTAssertGreaterThan(metrics.count, 10)
        XCTAssertEqual(metrics, try hostMetrics(Self.scenarioName))
    }

    /// Runs `podman kube play` with `arguments`. The conmon process podman leaves running
    /// for each container keeps the descriptors podman had, among them the socket by which
    /// Foundation's Process learns that its child exited: podman runs in a shell that
    /// first closes all but standard input, output and error.
    private func kubePlay(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
        let closeInherited = #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; "#
        return try shell(["bash", "-c", closeInherited + #"exec podman kube play "$@""#, "bash"] + arguments,
                         environment: environment)
    }

    /// The resources of manifest `file` (a path under deploy/kubernetes/).
    private func resources(_ file: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: Self.manifests.appendingPathComponent(file), encoding: .utf8)
        return try Yams.load_all(yaml: text).map { try XCTUnwrap($0 as? [String: Any], "a resource of \(file)") }
    }

    /// The resource of `kind` in manifest `file`.
    private func resource(_ file: String, _ kind: String) throws -> [String: Any] {
        try XCTUnwrap(resources(file).first { $0["kind"] as? String == kind }, "no \(kind) in \(file)")
    }

    /// `resource` (a CURVE variant's Job or Deployment) without what it adds to the main
    /// manifest's: the keys volume, its mounts and FEDSIM_KEYS.
    private func withoutKeys(_ resource: [String: Any]) throws -> [String: Any] {
        var podSpec = try mapping(resource, "spec", "template", "spec")
        removeEntry(named: "keys", from: "volumes", of: &podSpec)
        podSpec["containers"] = try XCTUnwrap(podSpec["containers"] as? [[String: Any]]).map { container in
            var container = container
            removeEntry(named: "keys", from: "volumeMounts", of: &container)
            removeEntry(named: "FEDSIM_KEYS", from: "env", of: &container)
            return container
        }
        var template = try mapping(resource, "spec", "template")
        template["spec"] = podSpec
        var spec = try mapping(resource, "spec")
        spec["template"] = template
        var stripped = resource
        stripped["spec"] = spec
        return stripped
    }

    /// Removes the entry whose name is `name` from the list at `key` of `object`, and the
    /// list once it is empty.
    private func removeEntry(named name: String, from key: String, of object: inout [String: Any]) {
        let kept = (object[key] as? [[String: Any]] ?? []).filter { $0["name"] as? String != name }
        object[key] = kept.isEmpty ? nil : kept
    }

    /// The files of the keys volume of a CURVE variant's Job or Deployment, checked to be
    /// named as in the fedsim-keys Secret and to be where FEDSIM_KEYS points.
    private func keyFiles(_ resource: [String: Any]) throws -> [String] {
        let podSpec = try mapping(resource, "spec", "template", "spec")
        let secret = try mapping(volume("keys", podSpec), "secret")
        XCTAssertEqual(secret["secretName"] as? String, "fedsim-keys")
        let items = try XCTUnwrap(secret["items"] as? [[String: Any]])
        for item in items { XCTAssertEqual(item["key"] as? String, item["path"] as? String) }
        let container = try container(podSpec)
        let mount = (container["volumeMounts"] as? [[String: Any]])?.first { $0["name"] as? String == "keys" }
        let keys = (container["env"] as? [[String: Any]])?.first { $0["name"] as? String == "FEDSIM_KEYS" }
        XCTAssertNotNil(keys?["value"])
        XCTAssertEqual(keys?["value"] as? String, mount?["mountPath"] as? String)
        return items.compactMap { $0["path"] as? String }.sorted()
    }
}

/// The mapping at `keys` under `object`.
private func mapping(_ object: Any?, _ keys: String...) throws -> [String: Any] {
    let value = keys.reduce(object) { ($0 as? [String: Any])?[$1] }
    return try XCTUnwrap(value as? [String: Any], "no mapping at \(keys.joined(separator: "."))")
}

/// The only container of a pod spec.
private func container(_ podSpec: [String: Any]) throws -> [String: Any] {
    let containers = try XCTUnwrap(podSpec["containers"] as? [[String: Any]])
    XCTAssertEqual(containers.count, 1)
    return try XCTUnwrap(containers.first)
}

/// The volume named `name` of a pod spec.
private func volume(_ name: String, _ podSpec: [String: Any]) throws -> [String: Any] {
    try XCTUnwrap((podSpec["volumes"] as? [[String: Any]])?.first { $0["name"] as? String == name }, "no volume \(name)")
}

/// The argument after `name` in a container's args.
private func option(_ name: String, _ container: [String: Any]) -> String? {
    let arguments = container["args"] as? [String] ?? []
    return arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
}

/// `value` as JSON with sorted keys: manifests' parts compared whatever their order.
private func canonical(_ value: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
}
