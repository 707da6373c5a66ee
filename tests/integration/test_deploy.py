"""The deployment files in deploy/, checked without a running hub or cluster.

- the one-server hub's configuration loads in JupyterHub and sets up nbgrader's integration as its
  docs describe; it reads only settings that configure.sh writes; course groups follow Unix groups;
- the extension sets name plugins and server extensions that exist, and differ from Binder's only
  by the Assignments tab;
- the deploy README's steps are the scripts tests/integration/test_hub.py runs;
- the per-learner exchange that Kubernetes uses works through a whole cycle with nbgrader;
- the Kubernetes and BinderHub files parse, have the keys they need, and agree with the one-server
  setup and with the measured sizing in the deploy README.
"""

from __future__ import annotations

import asyncio
import grp
import json
import os
import pwd
import re
import shutil
import types
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import ROOT, nbgrader

DEPLOY = ROOT / "deploy"
HUB = DEPLOY / "jupyterhub"
README = (HUB / "README.md").read_text(encoding="utf-8")
COURSE = "systems-leadership"
EXCHANGE = "/srv/nbgrader/exchange"


# --- the one-server hub ---------------------------------------------------------------------------


def settings_written_by_configure() -> dict[str, str]:
    block = (HUB / "configure.sh").read_text().split("settings = {", 1)[1].split("\n}", 1)[0]
    return dict(re.findall(r'"(\w+)": ([^,\n]+)', block))


def hub_settings(**changes) -> dict:
    settings = {
        "course_id": COURSE, "prefix": "/opt/syslead-hub", "exchange": EXCHANGE,
        "grader": f"grader-{COURSE}", "course_dir": f"/home/grader-{COURSE}/{COURSE}",
        "learners_group": "syslead-learners", "tutors_group": "syslead-tutors",
        "bind_url": "http://127.0.0.1:8000", "hub_api_port": 8081, "proxy_api_port": 8001,
        "formgrader_port": 9999, "admins": [],
    }
    settings.update(changes)
    return settings


def load_hub_config(tmp_path: Path, **changes):
    from jupyterhub.app import JupyterHub

    shutil.copy(HUB / "jupyterhub_config.py", tmp_path / "jupyterhub_config.py")
    (tmp_path / "course.json").write_text(json.dumps(hub_settings(**changes)))
    app = JupyterHub()
    app.load_config_file("jupyterhub_config.py", path=str(tmp_path))
    return app.config


def test_the_hub_reads_only_settings_that_configure_writes():
    written = settings_written_by_configure()
    used = set(re.findall(r'settings(?:\["|\.get\(")(\w+)"', (HUB / "jupyterhub_config.py").read_text()))
    assert used and used <= set(written), used - set(written)
    assert set(written) == set(hub_settings())


def test_the_hub_config_sets_up_nbgraders_integration(tmp_path):
    from jupyterhub.auth import PAMAuthenticator

    config = load_hub_config(tmp_path)
    (service,) = config.JupyterHub.services
    assert service["name"] == COURSE  # nbgrader finds a course's formgrader by the course id
    assert service["user"] == f"grader-{COURSE}" and service["cwd"].endswith(f"/{COURSE}")
    assert service["environment"]["JUPYTER_CONFIG_PATH"] == "/opt/syslead-hub/etc/jupyter-grader"
    assert service["environment"]["SYSLEAD_EXCHANGE"] == EXCHANGE
    roles = {role["name"]: role for role in config.JupyterHub.load_roles}
    assert roles[f"formgrade-{COURSE}"]["groups"] == [f"formgrade-{COURSE}"]
    assert f"access:services!service={COURSE}" in roles[f"formgrade-{COURSE}"]["scopes"]
    assert not any(s.startswith("access:") for s in roles[f"nbgrader-{COURSE}"]["scopes"])
    assert issubclass(config.JupyterHub.authenticator_class, PAMAuthenticator)
    assert config.CourseAuthenticator.manage_groups is True
    assert config.CourseAuthenticator.allowed_groups == {"syslead-learners", "syslead-tutors"}
    assert config.JupyterHub.spawner_class == "jupyterhub.spawner.LocalProcessSpawner"
    assert config.Spawner.cmd == ["/opt/syslead-hub/bin/jupyterhub-singleuser"]
    assert config.Spawner.environment["SYSLEAD_EXCHANGE"] == EXCHANGE
    assert config.ConfigurableHTTPProxy.command == ["/opt/syslead-hub/proxy/node_modules/.bin/configurable-http-proxy"]


def test_course_groups_follow_unix_groups(tmp_path):
    me = pwd.getpwuid(os.getuid()).pw_name
    mine = grp.getgrgid(os.getgid()).gr_name
    for learners, tutors, expected in [
        (mine, "no-such-group", [f"nbgrader-{COURSE}"]),
        ("no-such-group", mine, [f"nbgrader-{COURSE}", f"formgrade-{COURSE}"]),
        ("no-such-group", "no-such-group-either", []),
    ]:
        config = load_hub_config(tmp_path, learners_group=learners, tutors_group=tutors)
        authenticator = config.JupyterHub.authenticator_class()
        model = asyncio.run(authenticator.refresh_user(types.SimpleNamespace(name=me)))
        assert model == {"name": me, "groups": expected}


def test_tutors_servers_get_the_tutor_extension_set(tmp_path):
    config = load_hub_config(tmp_path)
    hook = config.Spawner.pre_spawn_hook

    def spawner(*groups):
        user = types.SimpleNamespace(groups=[types.SimpleNamespace(name=g) for g in groups])
        return types.SimpleNamespace(user=user, environment=dict(config.Spawner.environment))

    tutor, learner = spawner(f"nbgrader-{COURSE}", f"formgrade-{COURSE}"), spawner(f"nbgrader-{COURSE}")
    hook(tutor)
    hook(learner)
    assert tutor.environment["JUPYTER_CONFIG_PATH"] == "/opt/syslead-hub/etc/jupyter-tutor"
    assert "JUPYTER_CONFIG_PATH" not in learner.environment
    assert "JUPYTER_CONFIG_PATH" not in config.Spawner.environment


# --- extension sets -------------------------------------------------------------------------------


def shipped_lab_plugins() -> set[str]:
    import sys

    bundle = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader"
    found = set()
    for js in bundle.rglob("*.js"):
        found |= set(re.findall(r'"(@jupyter/nbgrader:[\w-]+)"', js.read_text(errors="ignore")))
    return found


def test_extension_sets_name_real_plugins_and_server_extensions():
    import importlib.util

    plugins = shipped_lab_plugins()
    script = (HUB / "extension-sets.sh").read_text()
    off = re.search(r"for plugin in ([^;]+);", script).group(1).split()
    assert sorted(off) == ["course-list", "create-assignment", "formgrader"]
    binder = re.search(r"for plugin in ([^;]+);", (ROOT / "postBuild").read_text()).group(1).split()
    # learners on the hub keep the Assignments tab, and the Nbgrader menu that opens it
    assert set(binder) - set(off) == {"assignment-list", "menu"}
    named = [f"@jupyter/nbgrader:{p}" for p in off]
    for kind in ("tutor", "grader"):
        page = json.loads((HUB / "jupyter-config" / kind / "labconfig" / "page_config.json").read_text())
        assert set(page["disabledExtensions"]) <= set(named)
        assert not any(page["disabledExtensions"].values())  # they switch plugins on, never off
        named_there = list(page["disabledExtensions"])
        server = json.loads((HUB / "jupyter-config" / kind / "jupyter_server_config.json").read_text())
        exts = server["ServerApp"]["jpserver_extensions"]
        assert all(exts.values())
        named += named_there + list(exts)
    learner = json.loads((HUB / "jupyter-config" / "learner" / "jupyter_server_config.d" / "syslead-learners.json").read_text())
    exts = learner["ServerApp"]["jpserver_extensions"]
    assert exts["nbgrader.server_extensions.formgrader"] is False and exts["nbgrader.server_extensions.assignment_list"]
    for name in named + list(exts):
        if name.startswith("@jupyter/"):
            assert name in plugins, name
        else:
            assert importlib.util.find_spec(name), name


# --- the README's steps are what the test runs ----------------------------------------------------


def test_the_deploy_readme_steps_are_the_scripts_the_hub_test_runs():
    harness = (ROOT / "tests" / "hubharness.py").read_text()
    commands = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    steps = "\n".join(commands)
    assert "sudo deploy/jupyterhub/install.sh" in steps
    assert "bash deploy/jupyterhub/install.sh" in (ROOT / ".ci" / "setup.d" / "30-jupyterhub.sh").read_text()
    assert "sudo deploy/jupyterhub/configure.sh" in steps and 'self.script("configure.sh")' in harness
    for role in ("learner", "tutor"):
        assert f"sudo deploy/jupyterhub/add-person.sh {role} " in steps
        assert f'self.script("add-person.sh", "{role}"' in harness
    unit = (HUB / "syslead-hub.service").read_text()
    exec_start = re.search(r"^ExecStart=(.+)$", unit, re.M).group(1)
    assert f"`{exec_start}`" in README and "unit_command(PREFIX, self.state)" in harness
    assert "sudo cp deploy/jupyterhub/syslead-hub.service /etc/systemd/system/" in steps
    for default, var in [("/opt/syslead-hub", "SYSLEAD_HUB_PREFIX"), ("/srv/jupyterhub", "SYSLEAD_HUB_STATE"),
                         (EXCHANGE, "SYSLEAD_EXCHANGE")]:
        assert f'{var}:-{default}}}' in (HUB / "configure.sh").read_text()
        assert f"| `{var}` | `{default}` |" in README


# --- the per-learner exchange (Kubernetes) --------------------------------------------------------


@pytest.mark.slow
def test_the_per_learner_exchange_keeps_learners_apart_through_a_whole_cycle(course, tmp_path):
    """Each learner sees only their own parts of the shared volume, as their pod's mounts give them."""
    volume = tmp_path / "volume"
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    shutil.copy(HUB / "nbgrader_config.py", config_dir / "nbgrader_config.py")
    common = {"JUPYTER_CONFIG_PATH": str(config_dir), "SYSLEAD_EXCHANGE_LAYOUT": "per-learner",
              "SYSLEAD_COURSE_ID": COURSE}
    no_hub = "--Authenticator.plugin_class=nbgrader.auth.NoAuthPlugin"
    name = sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir())[0]

    def as_tutor(*args):
        return nbgrader(*args, no_hub, cwd=course, SYSLEAD_EXCHANGE=str(volume), **common)

    pods = {}
    for learner in ("ada", "bo"):
        # the init container: the learner's own folders on the volume
        for part in ("outbound", f"inbound/{learner}", f"feedback/{learner}"):
            (volume / COURSE / part).mkdir(parents=True, exist_ok=True)
        # the pod's mounts: outbound, and the learner's own inbound and feedback folders
        pod = tmp_path / "pods" / learner
        (pod / "exchange" / COURSE).mkdir(parents=True)
        (pod / "home").mkdir()
        for part, target in [("outbound", "outbound"), ("inbound", f"inbound/{learner}"), ("feedback", f"feedback/{learner}")]:
            (pod / "exchange" / COURSE / part).symlink_to(volume / COURSE / target)
        pods[learner] = pod

    def as_learner(learner, *args, student=None):
        pod = pods[learner]
        return nbgrader(*args, no_hub, f"--student={student or learner}", cwd=pod / "home",
                        SYSLEAD_EXCHANGE=str(pod / "exchange"), HOME=str(pod / "home"), **common)

    as_tutor("generate_assignment", name, "--force")
    as_tutor("release_assignment", name)
    for learner in pods:
        as_learner(learner, "fetch_assignment", name)
    path = pods["ada"] / "home" / name / f"{name}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    reflection = next(c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution"))
    reflection.source = "Ada's own reflection on the referral form."
    nbformat.write(nb, str(path))
    as_learner("ada", "submit", name)
    as_learner("bo", "submit", name)
    as_learner("bo", "submit", name, student="ada")  # bo, in ada's name: lands in bo's own inbound folder

    assert sorted(p.name for p in (volume / COURSE / "inbound").iterdir()) == ["ada", "bo"]
    assert len(list((volume / COURSE / "inbound" / "bo").glob(f"ada+{name}+*"))) == 1
    collected = as_tutor("collect", name)
    assert "submitted by bo" in collected.stderr + collected.stdout
    assert "referral form" in (course / "submitted" / "ada" / name / f"{name}.ipynb").read_text()

    as_tutor("autograde", name)
    as_tutor("generate_feedback", name)
    as_tutor("release_feedback", name)
    assert sorted(p.name for p in (volume / COURSE / "feedback").iterdir()) == ["ada", "bo"]
    for learner in pods:
        assert len(list((volume / COURSE / "feedback" / learner).glob("*.html"))) == 1
    as_learner("ada", "fetch_feedback", name)
    as_learner("bo", "fetch_feedback", name, student="ada")  # bo asking for ada's feedback
    ada_pages = list((pods["ada"] / "home" / name / "feedback").glob("*/*.html"))
    assert len(ada_pages) == 1 and "referral form" in ada_pages[0].read_text()
    bo_pages = list((pods["bo"] / "home" / name / "feedback").glob("*/*.html"))
    assert all("referral form" not in p.read_text() for p in bo_pages)


# --- Kubernetes and BinderHub ---------------------------------------------------------------------


def per_learner_sizing() -> dict[str, str]:
    found = re.search(r"\*\*Per learner: memory guarantee (\S+), limit (\S+); CPU guarantee (\S+), limit (\S+)\.\*\*",
                      README)
    assert found, "the deploy README states the per-learner sizing"
    return dict(zip(("memory_guarantee", "memory_limit", "cpu_guarantee", "cpu_limit"), found.groups(), strict=True))


def test_the_sizing_table_follows_from_the_per_learner_guarantee():
    sizing = per_learner_sizing()
    guarantee_mib = int(sizing["memory_guarantee"].rstrip("M"))
    reserve = float(re.search(r"keeping (\d+(?:\.\d+)?) GiB for the node", README).group(1))
    rows = re.findall(r"^\| (\d+) cores, (\d+) GiB \| (\d+) \| (\d+) \| (\d+) \|$", README, re.M)
    assert len(rows) >= 3
    for _cores, gib, by_memory, by_cpu, learners in rows:
        assert int(by_memory) == int((int(gib) - reserve) * 1024 // guarantee_mib)
        assert int(learners) == min(int(by_memory), int(by_cpu))


def k8s_values() -> dict:
    return yaml.safe_load((DEPLOY / "kubernetes" / "values.yaml").read_text())


def test_kubernetes_values_use_the_course_image_and_the_measured_sizing():
    values = k8s_values()
    single = values["singleuser"]
    assert single["image"]["name"] and single["image"]["tag"]
    sizing = per_learner_sizing()
    assert str(single["memory"]["guarantee"]) == sizing["memory_guarantee"]
    assert str(single["memory"]["limit"]) == sizing["memory_limit"]
    assert str(single["cpu"]["guarantee"]) == sizing["cpu_guarantee"]
    assert str(single["cpu"]["limit"]) == sizing["cpu_limit"]
    assert values["cull"]["enabled"] is True
    assert single["defaultUrl"] == "/lab"


def test_kubernetes_learners_mount_only_their_own_parts_of_the_exchange():
    values = k8s_values()
    single = values["singleuser"]
    assert single["extraEnv"] == {"SYSLEAD_COURSE_ID": COURSE, "SYSLEAD_EXCHANGE": EXCHANGE,
                                  "SYSLEAD_EXCHANGE_LAYOUT": "per-learner"}
    mounts = {m["mountPath"]: m for m in single["storage"]["extraVolumeMounts"]}
    base = f"{EXCHANGE}/{COURSE}"
    assert set(mounts) == {f"{base}/outbound", f"{base}/inbound", f"{base}/feedback"}
    assert mounts[f"{base}/outbound"]["readOnly"] is True and "{username}" not in mounts[f"{base}/outbound"]["subPath"]
    assert mounts[f"{base}/inbound"]["subPath"] == f"{COURSE}/inbound/{{username}}" and not mounts[f"{base}/inbound"].get("readOnly")
    assert mounts[f"{base}/feedback"]["subPath"] == f"{COURSE}/feedback/{{username}}" and mounts[f"{base}/feedback"]["readOnly"]
    (volume,) = single["storage"]["extraVolumes"]
    claims = [d for d in yaml.safe_load_all((DEPLOY / "kubernetes" / "exchange.yaml").read_text())]
    assert volume["persistentVolumeClaim"]["claimName"] in {c["metadata"]["name"] for c in claims}
    exchange_claim = next(c for c in claims if c["metadata"]["name"] == volume["persistentVolumeClaim"]["claimName"])
    assert exchange_claim["spec"]["accessModes"] == ["ReadWriteMany"]
    (init,) = single["initContainers"]
    for m in mounts.values():  # the init container makes each folder a learner's pod mounts
        assert m["subPath"] in init["command"][-1]


def test_kubernetes_formgrader_is_the_hub_service_nbgrader_expects(tmp_path):
    values = k8s_values()
    services = values["hub"]["services"]
    assert list(services) == [COURSE]
    docs = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "formgrader.yaml").read_text()))
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    service = next(d for d in docs if d["kind"] == "Service")
    assert services[COURSE]["url"] == f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}"
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["JUPYTERHUB_SERVICE_NAME"] == COURSE
    assert env["JUPYTERHUB_SERVICE_PREFIX"] == f"/services/{COURSE}/"
    assert env["JUPYTER_CONFIG_PATH"] == "/opt/conda/etc/jupyter-grader"  # extension-sets.sh /opt/conda
    assert env["SYSLEAD_EXCHANGE_LAYOUT"] == "per-learner" and env["SYSLEAD_EXCHANGE"] == EXCHANGE
    assert deployment["spec"]["replicas"] == 1
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {EXCHANGE, env["SYSLEAD_COURSE_ROOT"]} <= mounts
    # the same roles as on one server
    one_server = {r["name"]: sorted(r["scopes"]) for r in load_hub_config(tmp_path).JupyterHub.load_roles}
    assert {n: sorted(r["scopes"]) for n, r in values["hub"]["loadRoles"].items()} == one_server
    groups = values["hub"]["config"]["JupyterHub"]["load_groups"]
    assert set(groups) == {f"formgrade-{COURSE}", f"nbgrader-{COURSE}"}


def test_the_course_image_is_built_as_the_one_server_environment():
    dockerfile = (DEPLOY / "kubernetes" / "Dockerfile").read_text()
    assert "bash /tmp/course/deploy/jupyterhub/extension-sets.sh /opt/conda" in dockerfile
    assert re.search(r'pip install --no-cache-dir "jupyterhub>=5,<6" "?/tmp/course(\[tutor\])?"?', dockerfile)
    assert "install -d -m 1777 /srv/nbgrader/exchange" in dockerfile
    assert "SYSLEAD_EXCHANGE_LAYOUT=per-learner" in dockerfile
    image = k8s_values()["singleuser"]["image"]
    assert f"{image['name']}:{image['tag']}" in (DEPLOY / "kubernetes" / "formgrader.yaml").read_text()


def test_binderhub_builds_only_the_course_with_the_measured_sizing():
    config = yaml.safe_load((DEPLOY / "binderhub" / "config.yaml").read_text())
    binder = config["config"]["BinderHub"]
    assert binder["use_registry"] is True and binder["image_prefix"] and binder["hub_url"]
    (banned,) = config["config"]["GitHubRepoProvider"]["banned_specs"]
    assert re.match(banned, "someone/else/HEAD") and not re.match(banned, "systems-leadership/course/HEAD")
    single = config["jupyterhub"]["singleuser"]
    sizing = per_learner_sizing()
    assert str(single["memory"]["guarantee"]) == sizing["memory_guarantee"]
    assert str(single["memory"]["limit"]) == sizing["memory_limit"]
    cull = config["jupyterhub"]["cull"]
    assert cull["enabled"] and cull["timeout"] == 600
