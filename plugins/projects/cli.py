"""``crewbot projects``: list projects, and run a phase (the Fargate task's entry point).

crewbot projects list
crewbot projects run-phase --project P --run RUN_ITEM [--resume]
"""

from __future__ import annotations

import argparse

from bot.api import CliContext


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("projects", help="project delivery: list projects, run a phase (Fargate entry point)")
    actions = parser.add_subparsers(dest="projects_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every project, its phase and status")
    listing.set_defaults(func=run_list)
    run = actions.add_parser("run-phase", help="run (or resume) a stored phase run and answer its task token")
    run.add_argument("--project", required=True)
    run.add_argument("--run", required=True, help="the run's item id (run#<phase>#<attempt>)")
    run.add_argument("--resume", action="store_true", help="resume after the customer answered")
    run.set_defaults(func=run_phase)


def run_list(ctx: CliContext) -> int:
    from plugins.projects.service import project_service

    projects = project_service(ctx.crewbot).all()
    for project in projects:
        ctx.print(f"{project.project_id}  {project.name}  {project.phase}  {project.status}")
    if not projects:
        ctx.print("no projects")
    return 0


def run_phase(ctx: CliContext) -> int:
    from plugins.projects.runner import PhaseRunner

    try:
        status = PhaseRunner(ctx.crewbot).execute_run(ctx.args.project, ctx.args.run, ctx.args.resume)
    except LookupError as exc:
        ctx.print(f"crewbot: {exc}")
        return 1
    ctx.print(f"{ctx.args.run}: {status}")
    return 1 if status == "failed" else 0
