"""``dasan ray ...``: the model deployments on a Ray cluster (Ray Serve), from the same settings the web workers read."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dasan.cli.common import console, fail
from dasan.cli.common import load_settings as _settings

ray_app = typer.Typer(help="Run the model work (embedder, ASR, LLM, TTS) on a Ray cluster with Ray Serve.",
                      no_args_is_help=True)

_ROLE_HELP = "A role to act on (embedder, asr, llm, tts); repeat it for several \\[default: DASAN_RAY_ROLES]."


def _settings_for(address: str | None):
    settings = _settings()
    if address:
        settings = settings.model_copy(update={"ray_address": address})
    return settings


def _roles(settings, roles: list[str] | None) -> list[str]:
    from dasan.ray_serve import ROLES, roles_of

    if not roles:
        return roles_of(settings)
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        fail(f"unknown role {', '.join(unknown)}; roles Ray can serve: {', '.join(ROLES)}", 2)
    return list(dict.fromkeys(roles))


@ray_app.command("up")
def ray_up(
    role: Annotated[Optional[list[str]], typer.Option("--role", help=_ROLE_HELP)] = None,
    address: Annotated[Optional[str], typer.Option(help="The cluster \\[default: DASAN_RAY_ADDRESS, or auto: "
                                                    "the cluster this machine is a node of].")] = None,
) -> None:
    """Deploy (or update) the roles' Serve applications with the replicas and CPU shares the settings give, and
    wait until every replica has loaded its model. Each node loads the models from its own DASAN_MODELS_DIR."""
    from dasan.ray_serve import RayUnavailable, deploy

    settings = _settings_for(address)
    try:
        roles = _roles(settings, role)
        with console.status("deploying (each replica loads its model)"):
            done = deploy(settings, roles)
    except RayUnavailable as exc:
        fail(str(exc))
    for placement in done:
        console.print(f"[green]✓[/] {placement.app}: {placement.replicas} replica(s), {placement.cpus:g} CPU each",
                      highlight=False)
    console.print(f"web workers use them with DASAN_RAY_ADDRESS={settings.ray_address or 'auto'} "
                  f"DASAN_RAY_ROLES={','.join(roles)}", highlight=False)


@ray_app.command("status")
def ray_status(
    address: Annotated[Optional[str], typer.Option(help="The cluster \\[default: DASAN_RAY_ADDRESS, or auto].")] = None,
) -> None:
    """The cluster's nodes and CPUs, and the Serve applications with their replicas' states."""
    from dasan.ray_serve import RayUnavailable, cluster_status

    settings = _settings_for(address)
    try:
        status = cluster_status(settings.ray_address or "auto")
    except RayUnavailable as exc:
        fail(str(exc))
    console.print(f"nodes alive: {status['nodes']}  CPUs: {status['cpus']:g}", highlight=False)
    if not status["applications"]:
        console.print("no Serve applications (run `dasan ray up`)")
    for app, info in status["applications"].items():
        replicas = ", ".join(f"{n} {state.lower()}" for state, n in info["replicas"].items()) or "no replicas"
        console.print(f"{app}: {info['status'].lower()} ({replicas})", highlight=False)


@ray_app.command("down")
def ray_down(
    role: Annotated[Optional[list[str]], typer.Option("--role", help=_ROLE_HELP)] = None,
    address: Annotated[Optional[str], typer.Option(help="The cluster \\[default: DASAN_RAY_ADDRESS, or auto].")] = None,
) -> None:
    """Delete the roles' Serve applications (the cluster itself keeps running)."""
    from dasan.ray_serve import RayUnavailable, undeploy

    settings = _settings_for(address)
    try:
        gone = undeploy(settings, _roles(settings, role))
    except RayUnavailable as exc:
        fail(str(exc))
    console.print(f"deleted: {', '.join(gone)}" if gone else "nothing to delete", highlight=False)
