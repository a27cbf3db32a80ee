"""Renders every Kubernetes overlay of deploy/kubernetes with `kubectl kustomize`, validates
each object against the Kubernetes schemas (kubernetes-validate, from PyPI, strict: unknown
fields are errors), checks what SafeMap's deployment promises (probes, headless Services,
autoscalers, disruption budgets that never block a drain, the documented secrets), and parses
deploy/compose.yaml. Prints a JSON summary; exits 1 listing every problem.

Used by Tests/SafeMapRuntimeTests/DeploymentTests.swift; run by hand with
    .build-python/bin/python Tests/Deploy/validate_deploy.py
"""

import json
import pathlib
import subprocess
import sys

import kubernetes_validate
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
KUBERNETES_VERSION = "1.30.0"
SECRETS = {"safemap-db", "safemap-signing", "safemap-bootstrap"} | {
    f"safemap-tls-{name}" for name in ("account", "assessment", "reporting", "web")}
SERVICES = {"account-service", "assessment-service", "reporting-service"}
WEB = "web-service"


def render(overlay):
    result = subprocess.run(
        ["kubectl", "kustomize", str(ROOT / "deploy/kubernetes/overlays" / overlay)],
        capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"kubectl kustomize {overlay} failed: {result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def secret_names(node):
    """Every Secret a manifest refers to, wherever it does."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "secretKeyRef" or key == "secretRef":
                yield value["name"]
            elif key == "secret" and isinstance(value, dict) and "secretName" in value:
                yield value["secretName"]
            else:
                yield from secret_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from secret_names(item)


def check_overlay(overlay, problems):
    objects = render(overlay)
    by_kind = {}
    for obj in objects:
        name = f"{overlay}: {obj['kind']} {obj['metadata']['name']}"
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{name}: {error.message}")
        if obj["metadata"].get("namespace", "safemap") != "safemap" and obj["kind"] != "Namespace":
            problems.append(f"{name}: not in the safemap namespace")
        by_kind.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = obj
        for secret in secret_names(obj):
            if secret not in SECRETS:
                problems.append(f"{name}: refers to an undocumented secret {secret}")

    deployments = by_kind.get("Deployment", {})
    if set(deployments) != SERVICES | {WEB}:
        problems.append(f"{overlay}: deployments are {sorted(deployments)}")
    for service, deployment in deployments.items():
        name = f"{overlay}: {service}"
        spec = deployment["spec"]
        pod = spec["template"]["spec"]
        labels = spec["selector"]["matchLabels"]
        container = pod["containers"][0]
        # The gRPC services answer gRPC health probes; web-service its HTTP /readyz, /healthz.
        probe_kind = "httpGet" if service == WEB else "grpc"
        for probe in ("readinessProbe", "livenessProbe"):
            if probe_kind not in container.get(probe, {}):
                problems.append(f"{name}: no {probe_kind} {probe}")
        if not pod.get("securityContext", {}).get("runAsNonRoot"):
            problems.append(f"{name}: may run as root")
        if "replicas" in spec:
            problems.append(f"{name}: sets replicas, which its autoscaler owns")
        for ref in container.get("envFrom", []):
            config = ref.get("configMapRef", {}).get("name")
            if config and config not in by_kind.get("ConfigMap", {}):
                problems.append(f"{name}: ConfigMap {config} is not rendered")
        if pod.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: mounts a service-account token it never uses")
        image = container.get("image", "")
        if ":" not in image.rsplit("/", 1)[-1] and "@sha256:" not in image or image.endswith(":latest"):
            problems.append(f"{name}: image {image} is not pinned to a tag or digest")
        # Each pod holds its own certificate and key only, never another's or the CA's key.
        short = service.split("-")[0]
        tls = {s for s in secret_names(pod) if s.startswith("safemap-tls")}
        if tls != {f"safemap-tls-{short}"}:
            problems.append(f"{name}: mounts TLS secrets {sorted(tls)}")
        policy = by_kind.get("NetworkPolicy", {}).get(service)
        if not policy or policy["spec"]["podSelector"].get("matchLabels") != labels:
            problems.append(f"{name}: no NetworkPolicy selecting its pods")
        svc = by_kind.get("Service", {}).get(service)
        if service == WEB:
            # Sessions live in account-service: any pod serves any browser.
            if not svc or svc["spec"]["selector"] != labels:
                problems.append(f"{name}: no Service selecting its pods")
        elif not svc or svc["spec"].get("clusterIP") != "None" or svc["spec"]["selector"] != labels:
            problems.append(f"{name}: no headless Service selecting its pods")
        hpa = by_kind.get("HorizontalPodAutoscaler", {}).get(service)
        if not hpa or hpa["spec"]["scaleTargetRef"]["name"] != service:
            problems.append(f"{name}: no HorizontalPodAutoscaler")
        elif not 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]:
            problems.append(f"{name}: autoscaler bounds {hpa['spec']}")
        pdb = by_kind.get("PodDisruptionBudget", {}).get(service)
        if (not pdb or pdb["spec"].get("maxUnavailable", 0) < 1
                or "minAvailable" in pdb["spec"]
                or pdb["spec"].get("unhealthyPodEvictionPolicy") != "AlwaysAllow"
                or pdb["spec"]["selector"]["matchLabels"] != labels):
            problems.append(f"{name}: its PodDisruptionBudget could block a node drain")
    if "safemap-migrate" not in by_kind.get("Job", {}):
        problems.append(f"{overlay}: no migration Job")
    deny = by_kind.get("NetworkPolicy", {}).get("default-deny-ingress")
    if not deny or deny["spec"]["podSelector"] != {} or deny["spec"].get("ingress"):
        problems.append(f"{overlay}: no default-deny NetworkPolicy")
    return {
        "objects": len(objects),
        "min_replicas": {
            name: hpa["spec"]["minReplicas"]
            for name, hpa in by_kind.get("HorizontalPodAutoscaler", {}).items()
        },
    }


def check_compose(problems):
    compose = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())
    services = compose.get("services", {})

    def waits_for(service, dependency, condition):
        depends = services.get(service, {}).get("depends_on", {})
        if not isinstance(depends, dict) or depends.get(dependency, {}).get("condition") != condition:
            problems.append(f"compose: {service} does not wait for {dependency} ({condition})")

    if "healthcheck" not in services.get("postgres", {}):
        problems.append("compose: postgres has no health check")
    waits_for("migrate", "postgres", "service_healthy")
    waits_for("account", "roles", "service_completed_successfully")
    for service in ("assessment", "reporting"):
        waits_for(service, "account", "service_healthy")
    for service in ("account", "assessment", "reporting"):
        waits_for("web", service, "service_healthy")
    if "readyz" not in " ".join(services.get("web", {}).get("healthcheck", {}).get("test", [])):
        problems.append("compose: web has no readiness check")
    for service in ("account", "assessment", "reporting", "web"):
        # Its own certificate folder only: no other key, never the CA's private key.
        volumes = services.get(service, {}).get("volumes", [])
        if volumes != [f"./tls/out/{service}:/tls:ro"]:
            problems.append(f"compose: {service} mounts {volumes}")
    for service in ("account", "assessment", "reporting"):
        test = services.get(service, {}).get("healthcheck", {}).get("test", [])
        if "health" not in " ".join(test):
            problems.append(f"compose: {service} has no gRPC health check")
    return sorted(services)


def check_backtracer(problems):
    """A crash must exit at once and free its ports: the backtracer's helper would hold them."""
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    if "SWIFT_BACKTRACE=enable=no" not in dockerfile:
        problems.append("Dockerfile: SWIFT_BACKTRACE=enable=no is not set in the image")
    config = yaml.safe_load((ROOT / "deploy/kubernetes/base/config.yaml").read_text())
    if config.get("data", {}).get("SWIFT_BACKTRACE") != "enable=no":
        problems.append("kubernetes: the ConfigMap does not set SWIFT_BACKTRACE=enable=no")
    if "SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}" not in (
        ROOT / "scripts/run-local.sh"
    ).read_text():
        problems.append("make run: scripts/run-local.sh does not set SWIFT_BACKTRACE")


def main():
    problems = []
    summary = {overlay: check_overlay(overlay, problems) for overlay in ("small", "national")}
    summary["compose_services"] = check_compose(problems)
    check_backtracer(problems)
    summary["problems"] = problems
    print(json.dumps(summary, sort_keys=True))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
