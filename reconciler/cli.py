# PYTHON_ARGCOMPLETE_OK
"""The command line: arguments in, exit code out. Everything it prints comes from the library's objects."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading
from pathlib import Path

from .errors import ConfigError, ReconcilerError
from .address import Address
from .journal import DEFAULT_JOURNAL
from .plan import Plan
from .views.style import Style
from .views.text import render_plan, render_report

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_REMAINING = 0, 1, 2, 3


class UsageError(ReconcilerError):
    """A wrong command line (unknown flag, bad value): exit 1, since 2 means "changes" to a drift check."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"port must be a number from 1 to 65535 (got {text!r})")
    return int(text)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("margin-reconciler")
    except PackageNotFoundError:  # run from a source tree that was not installed
        return "unknown"


class _Version(argparse.Action):
    """--version, with the installed distribution's version looked up only when asked."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"reconciler {_version()}")
        parser.exit()


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more (got {text!r})")
    return int(text)


def _command(commands, name: str, does: str, example: str):
    """A subcommand whose --help says what it does and shows an example."""
    return commands.add_parser(name, help=does, description=does[0].upper() + does[1:] + ".",
                               epilog="example:\n  " + example, formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reconciler", description=(
        "Keep derivatives account settings (margin mode, leverage, isolated margin) equal to a YAML file."),
        epilog="example:\n  reconciler plan desired.yaml && reconciler apply desired.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = _command(commands, "validate", "check a desired-state file offline (no network)",
                        "reconciler validate desired.yaml --format github")
    validate.add_argument("file")
    _add_policy(validate)
    validate.add_argument("--format", choices=("text", "json", "github"), default="text",
                          help="json: a list of problems (file, line, path, message); github: workflow annotations")

    plan = _command(commands, "plan", "read live state (GET only) and show what apply would change",
                    "reconciler plan desired.yaml --out plan.json --detailed-exitcode")
    plan.add_argument("file")
    _add_policy(plan)
    plan.add_argument("--out", metavar="PLAN.json", help="save the plan for `apply PLAN.json`")
    plan.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    plan.add_argument("--report", metavar="FILE", help="also write the plan JSON to FILE")
    _add_parallelism(plan)
    plan.add_argument("--detailed-exitcode", action="store_true",
                      help="exit 0 when nothing is to do, 2 when changes, blocked, conflicting or denied items exist, "
                           "or a symbol pattern matches no instrument")
    plan.add_argument("--allow-empty-patterns", action="store_true",
                      help="with --detailed-exitcode: a pattern that matches no instrument does not count as work")
    plan.add_argument("-v", "--verbose", action="store_true", help="also list settings in sync and n/a")
    _add_targets(plan)

    apply = _command(commands, "apply", "apply a desired-state file or a saved plan",
                     "reconciler apply plan.json --format json > report.json")
    apply.add_argument("target", metavar="FILE|PLAN.json")
    _add_policy(apply)
    apply.add_argument("--format", choices=("text", "json"), default="text",
                       help="json: the apply report (schemas/apply-report.schema.json) and nothing else on stdout")
    apply.add_argument("--report", metavar="FILE", help="also write the apply report (JSON) to FILE")
    _add_parallelism(apply)
    apply.add_argument("--auto-approve", action="store_true", help="do not ask for confirmation")
    apply.add_argument("--journal", default=DEFAULT_JOURNAL, help=f"audit journal (default {DEFAULT_JOURNAL})")
    apply.add_argument("--config", metavar="FILE", help="with a saved plan: the desired-state file it was made from "
                       "(default: the path the plan names)")
    apply.add_argument("--lock-timeout", type=float, default=0.0, metavar="SECONDS",
                       help="wait this long for another run on the same venue account to finish (default 0: "
                            "refuse at once, naming it)")
    _add_targets(apply)

    show = _command(commands, "show", "render a saved plan", "reconciler show plan.json --format markdown")
    show.add_argument("plan")
    show.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    show.add_argument("-v", "--verbose", action="store_true")

    importer = _command(commands, "import", "write an account's live settings as a desired-state file",
                        "reconciler import desired.yaml --account okx-main > okx-main.yaml")
    importer.add_argument("file")
    importer.add_argument("--account", required=True, metavar="A")
    importer.add_argument("--symbol", action="append", metavar="S", help="only this symbol (repeatable)")
    importer.add_argument("--compact", action="store_true",
                          help="put the most common settings under defaults:, keep the file's patterns and "
                               "excludes, and write out only the symbols that differ")
    importer.add_argument("--out", metavar="FILE", help="write the file here (paths in it are relative to it; "
                          "default: stdout, paths relative to the working directory)")

    _command(commands, "schema", "print the desired-state JSON Schema, for editors",
             "reconciler schema > .reconciler.schema.json")

    _add_backend_commands(commands, plan, apply)
    _add_watch_command(commands)

    sim = _command(commands, "sim", "run the venue simulators until stopped",
                   "reconciler sim --world examples/quickstart-world.yaml --port 8800")
    sim.add_argument("--world", required=True)
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=_port, default=8800)
    _enable_completion(parser)
    return parser


def _enable_completion(parser) -> None:
    """Shell completion (argcomplete): answers only when the shell asks, otherwise does nothing."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    import argcomplete
    argcomplete.autocomplete(parser)


def _add_parallelism(parser) -> None:
    parser.add_argument("--parallelism", type=_positive, metavar="N",
                        help="at most N accounts at once (default: all of them)")


def _add_targets(parser) -> None:
    parser.add_argument("--account", action="append", metavar="A", help="only this account (repeatable)")
    parser.add_argument("--symbol", action="append", metavar="S", help="only this symbol (repeatable)")


def check_regular_file(path: Path) -> None:
    """strict_yaml's check, imported when used: --help and --version load no YAML."""
    from .strict_yaml import check_regular_file as check
    check(path)


# A large plan keeps a few million objects alive (symbols, instruments, live state) and makes few cycles: with
# Python's default thresholds, full collections re-walk them all about ten times (about 1 s of a 100k plan).
GC_THRESHOLDS = (50_000, 20, 10)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        _preflight(args)
        gc.set_threshold(*GC_THRESHOLDS)
        import asyncio  # here: --help and usage errors need no event loop
        return asyncio.run(COMMANDS[args.command](args))
    except ReconcilerError as exc:
        for line in str(exc).splitlines() or ["error"]:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one clear line, the traceback only on request
        if os.environ.get("RECONCILER_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (set RECONCILER_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_ERROR


def _preflight(args) -> None:
    """Refusals that need nothing read: where output goes, and an apply nobody can confirm."""
    if getattr(args, "out", None):
        _check_output_file(args.out, "--out")
    if getattr(args, "report", None):
        _check_output_file(args.report, "--report")
    if getattr(args, "journal", DEFAULT_JOURNAL) != DEFAULT_JOURNAL:
        _check_output_file(args.journal, "--journal")
    if getattr(args, "journal", None) and Path(args.journal).exists():
        try:
            check_regular_file(Path(args.journal))
        except ConfigError as exc:
            raise UsageError(f"--journal {exc} (the journal keeps every call an apply sends: name a file)") from None
    if args.command in ("plan", "apply", "import") and os.environ.get("RECONCILER_LOCK_DIR"):
        _check_lock_dir(os.environ["RECONCILER_LOCK_DIR"])
    if (args.command == "apply" and not args.auto_approve and not sys.stdin.isatty()
            and not _looks_like_plan(args.target)):
        raise ReconcilerError("apply needs a confirmation and there is no terminal: pass --auto-approve, "
                              "or apply a saved plan (plan --out PLAN.json, then apply PLAN.json)")


def _check_lock_dir(path: str) -> None:
    """The directory of locks and rate windows must be one (else plan would fail deep in its first read)."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"RECONCILER_LOCK_DIR {path}: cannot be used as a directory ({exc.strerror}); "
                         "set it to a directory this user can write") from None


def _check_output_file(path: str, flag: str) -> None:
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{flag} {path}: is a directory; name a file")
    if not target.parent.is_dir():
        raise UsageError(f"{flag} {path}: directory {target.parent} does not exist")


def _answer() -> str:
    """One line from the terminal. The kernel may deliver Ctrl-C to any thread (the HTTP client's resolver
    threads included), and then a read blocked in the main thread is never interrupted; waiting in short
    selects lets the main thread run its handler within a fifth of a second."""
    if not sys.stdin.isatty():
        return input()
    import select

    while not select.select([sys.stdin], [], [], 0.2)[0]:
        pass
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line


def confirm(question: str, stream=None) -> bool:
    """True only when a person types `yes`; end of input (Ctrl-D) and Ctrl-C are a no.

    asyncio's own Ctrl-C handler only cancels the running task, which a blocking input() never notices;
    Python's default handler interrupts it at once.
    """
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler) if in_main_thread else None
    try:
        print(question, end="", file=stream or sys.stdout, flush=True)
        return _answer().strip() == "yes"
    except (EOFError, KeyboardInterrupt):
        print()
        return False
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _add_policy(parser) -> None:
    parser.add_argument("--policy", action="append", metavar="FILE",
                        help="a policy file (e.g. the risk team's) checked with the file's own policy: block; "
                             "where both set a rule, the stricter wins (repeatable)")


def _load(args, path: str):
    """The desired state at `path`, with every --policy FILE added to its own policy."""
    from .config import load  # not through the API: validate needs no HTTP client and no simulator
    problems = []
    try:
        state = load(path)
    except ConfigError as exc:
        state, problems = None, exc.messages
    if getattr(args, "policy", None):  # the policy files' problems are reported with the file's own
        from .policy.load import Policy, load_file
        for policy_path in args.policy:
            try:
                if Path(policy_path).exists():  # a missing one is named as such by load_file
                    check_regular_file(Path(policy_path))
                policy = load_file(policy_path)
            except ConfigError as exc:
                problems += exc.messages
                continue
            if state is not None:
                state.policy = (state.policy or Policy()).merged(policy)
    if problems:
        raise ConfigError(problems)
    return state


async def cmd_validate(args) -> int:
    if args.format == "text":
        state = _load(args, args.file)
    else:
        from .views.problems import problems_github, problems_json
        try:
            state = _load(args, args.file)
        except ConfigError as exc:
            sys.stdout.write((problems_json if args.format == "json" else problems_github)(exc.messages))
            return EXIT_ERROR
        if args.format == "json":
            sys.stdout.write(problems_json([]))
        return EXIT_OK
    symbols = sum(len(a.symbols) for a in state.accounts.values())
    patterns = sum(len(a.patterns) for a in state.accounts.values())
    matched = f", {patterns} patterns matched at plan time" if patterns else ""
    print(f"{args.file}: valid ({len(state.accounts)} accounts, {symbols} symbols{matched})")
    return EXIT_OK


async def cmd_plan(args) -> int:
    state = _load(args, args.file)
    plan = await _api().plan(state, accounts=args.account, symbols=args.symbol, progress=_progress_printer(),
                             backend=_backend(args), parallelism=args.parallelism)
    if args.out:
        _planfile().write_plan(plan, args.out)
    if args.report:
        _planfile().write_output(plan.dumps(), args.report, "--report")
    _print_plan(plan, args.format, getattr(args, "verbose", False))
    if plan.errors:
        _print_account_errors(plan.errors)
        return EXIT_ERROR
    if args.detailed_exitcode and (plan.has_work or (plan.empty_patterns and not args.allow_empty_patterns)):
        return EXIT_CHANGES
    return EXIT_OK


async def cmd_show(args) -> int:
    _print_plan(_planfile().read_plan(args.plan), args.format, args.verbose)
    return EXIT_OK


async def cmd_apply(args) -> int:
    from .views import report_json
    started_at = report_json.now_text()
    # With --format json stdout carries the report alone: the plan, the question and refusals go to stderr.
    people = sys.stderr if args.format == "json" else sys.stdout
    if args.report:  # a report that cannot be written is found out before anything is sent
        _planfile().write_output(report_json.dumps(report_json.refusal_document(
            "the apply did not finish: this report was written as it started; the journal says what was sent",
            started_at=started_at, finished_at=started_at)), args.report, "--report")
    try:
        report = await _applied(args, people)
    except ReconcilerError as exc:
        _write_report(args, report_json.refusal_document(str(exc), started_at=started_at,
                                                         finished_at=report_json.now_text()))
        raise
    if isinstance(report, _api().NotConfirmed):
        print("Apply cancelled; nothing was sent.", file=people)
        _write_report(args, report_json.refusal_document("apply cancelled; nothing was sent", started_at=started_at,
                                                         finished_at=report_json.now_text()))
        return EXIT_ERROR
    _write_report(args, report_json.report_document(report, started_at=started_at, finished_at=report_json.now_text()))
    if args.format == "text":
        print(render_report(report, Style.for_stream(sys.stdout)), end="")
    _print_account_errors(report.account_errors)
    return report.exit_code


def _print_account_errors(errors: dict[str, str]) -> None:
    """One line on stderr per account that could not be read or applied, naming it."""
    for account, message in errors.items():
        named = message.startswith(account) or f"account {account}" in message
        print(f"error: {message}" if named else f"error: {account}: {message}", file=sys.stderr)


async def _applied(args, people):
    """The ApplyReport of a saved plan or of a file (a NotConfirmed when the person said no)."""
    if _looks_like_plan(args.target):
        saved = _planfile().read_plan(args.target)
        _check_within(saved, args)
        saved = _api().narrow(saved, accounts=args.account, symbols=args.symbol)
        state = _load(args, _config_of(saved, args))
        return await _api().apply(saved, state, journal_path=args.journal, progress=_progress_printer(),
                                  lock_timeout=args.lock_timeout, parallelism=args.parallelism,
                                  backend=_backend(args))
    state = _load(args, args.target)  # without a terminal or --auto-approve, _preflight refused already
    return await _api().reconcile(
        state, accounts=args.account, symbols=args.symbol, journal_path=args.journal,
        progress=_progress_printer(), lock_timeout=args.lock_timeout, parallelism=args.parallelism,
        backend=_backend(args),
        on_plan=lambda plan: print(render_plan(plan, Style.for_stream(people)), file=people),
        confirm=None if args.auto_approve else lambda plan: confirm("Apply these changes? Only 'yes' is accepted: ",
                                                                    people))


def _check_within(saved: Plan, args) -> None:
    """--account / --symbol on a saved plan may only narrow it: naming what it does not cover is a mistake."""
    outside = [f"--account {name}" for name in args.account or [] if name not in saved.accounts]
    covered = {change.symbol for change in saved.changes if change.symbol} | {
        Address.parse(setting).symbol for values in saved.observed.values() for setting in values} - {None}
    outside += [f"--symbol {symbol}" for symbol in args.symbol or [] if symbol not in covered]
    if outside:
        raise UsageError(f"{args.target}: {', '.join(outside)}: not in this plan, which covers "
                         f"{len(saved.accounts)} accounts and {len(covered)} symbols (see `show {args.target}`); "
                         "nothing was sent")


def _write_report(args, document: dict) -> None:
    """The apply report to stdout (--format json) and to --report FILE."""
    from .views.report_json import dumps
    if args.format == "json":
        sys.stdout.write(dumps(document))
    if args.report:
        _planfile().write_output(dumps(document), args.report, "--report")


def _api():
    from . import api  # imported on first use: --help and usage errors need no HTTP or schema library
    return api


def _planfile():
    from . import planfile
    return planfile


def _config_of(plan: Plan, args) -> str:
    """The desired-state file a saved plan is checked against: --config, else the path the plan names."""
    if args.config:
        return args.config
    if not plan.config_path:
        raise ConfigError(f"{args.target}: the plan names no desired-state file; pass --config FILE")
    for candidate in (Path(plan.config_path), Path(args.target).parent / plan.config_path):
        if candidate.is_file():
            return str(candidate)
    raise ConfigError(f"{args.target}: the desired-state file it was made from ({plan.config_path}) is not here; "
                      "pass --config FILE")


async def cmd_import(args) -> int:
    from .importer import import_account
    state = _api().load(args.file)
    written_in = Path(args.out).resolve().parent if args.out else Path.cwd()
    text = await import_account(state, args.account, args.symbol, compact=args.compact, written_in=written_in)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


async def cmd_schema(args) -> int:
    import json

    from .schema import desired_state_schema
    print(json.dumps(desired_state_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK


async def cmd_sim(args) -> int:
    from .sim.server import serve_forever
    from .sim.world import WorldError, load_world
    check_regular_file(Path(args.world))
    try:
        world = load_world(args.world)
    except WorldError as exc:
        raise ReconcilerError(str(exc)) from None
    try:
        await serve_forever(world, args.host, args.port, on_ready=lambda text: print(text, flush=True))
    except OSError as exc:
        raise ReconcilerError(f"sim: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return EXIT_OK


def _add_backend_commands(commands, plan, apply) -> None:
    """--backend on plan and apply, --no-lock on plan, and the `history` and `backend init` commands."""
    backend_help = ("where locks, rate windows, the journal and applied plans live: local (default) or "
                    "postgresql://USER:PASSWORD@HOST/DB, ${VARIABLES} allowed (default $RECONCILER_BACKEND)")
    for parser in (plan, apply):
        parser.add_argument("--backend", metavar="URL", help=backend_help)
    plan.add_argument("--no-lock", action="store_true",
                      help="plan without the backend (this machine's rate windows; no run recorded)")
    history = _command(commands, "history", "who changed what: runs and calls, newest first",
                       "reconciler history --account okx-main --since 7d --backend \"$RECONCILER_BACKEND\"")
    history.add_argument("--account", metavar="A", help="only runs and calls on this account")
    history.add_argument("--symbol", metavar="S", help="only calls about this symbol")
    history.add_argument("--since", metavar="TIME", help="an ISO time (2026-11-21T08:00Z) or an age (30m, 12h, 7d)")
    history.add_argument("--writes", action="store_true",
                         help="one line per write: time, user@host, run, plan, account, symbol, setting, values "
                              "sent, venue code")
    history.add_argument("--format", choices=("text", "json"), default="text")
    history.add_argument("--backend", metavar="URL", help=backend_help)
    history.add_argument("--journal", default=DEFAULT_JOURNAL, help=f"local journal (default {DEFAULT_JOURNAL})")
    backend = _command(commands, "backend", "set up the backend: `backend init` creates or migrates its tables",
                       "reconciler backend init --backend 'postgresql://reconciler:${PGPASSWORD}@db.internal/reconciler'")
    backend.add_argument("action", choices=("init",))
    backend.add_argument("--backend", metavar="URL", help=backend_help)


def _backend(args):
    """The backend the command names (--backend, else $RECONCILER_BACKEND, else local files)."""
    from .backends import backend_from_url
    if getattr(args, "no_lock", False):
        return backend_from_url("local")
    return backend_from_url(args.backend or os.environ.get("RECONCILER_BACKEND"),
                            journal_path=getattr(args, "journal", None))


async def cmd_history(args) -> int:
    import json
    from .backends.history import parse_time, render_text, render_writes, writes
    since = parse_time(args.since) if args.since else None
    backend = _backend(args)
    await backend.open()
    try:
        runs = await backend.history(account=args.account, symbol=args.symbol, since=since)
    finally:
        await backend.close()
    if args.writes and args.format == "json":
        sys.stdout.write(json.dumps({"backend": backend.name, "writes": writes(runs)}, indent=2, default=str) + "\n")
    elif args.writes:
        sys.stdout.write(render_writes(writes(runs)))
    elif args.format == "json":
        sys.stdout.write(json.dumps({"backend": backend.name, "runs": runs}, indent=2, default=str) + "\n")
    else:
        sys.stdout.write(render_text(runs))
    return EXIT_OK


async def cmd_backend(args) -> int:
    backend = _backend(args)
    await backend.open()
    await backend.close()
    print(f"backend {backend.name}: {getattr(backend, 'schema_change', '') or 'ready (no set-up needed)'}")
    return EXIT_OK


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0.1 <= seconds <= 86400:
        raise argparse.ArgumentTypeError(f"must be a number of seconds from 0.1 to 86400 (got {text!r})")
    return seconds


def _port_or_zero(text: str) -> int:
    return 0 if text == "0" else _port(text)


def _add_watch_command(commands) -> None:
    watch = _command(commands, "watch", "keep reading the accounts, report drift and heal it where the file "
                     "says mode: heal, until stopped (SIGTERM, SIGINT); SIGHUP reloads the file",
                     "reconciler watch desired.yaml --interval 30 --webhook https://hooks.slack.com/services/...")
    watch.add_argument("file")
    _add_policy(watch)
    watch.add_argument("--interval", type=_seconds, metavar="S",
                       help="seconds between passes (default: the file's watch.interval, else 60)")
    watch.add_argument("--metrics-port", type=_port_or_zero, default=9402, metavar="P",
                       help="serve /metrics, /healthz and /readyz on this port (default 9402; 0: any free port)")
    watch.add_argument("--metrics-host", default="127.0.0.1", metavar="HOST",
                       help="address to serve them on (default 127.0.0.1; 0.0.0.0 in a container)")
    watch.add_argument("--webhook", action="append", default=[], metavar="URL",
                       help="post events here (repeatable): plain JSON, or Slack's form for slack:URL and "
                            "hooks.slack.com URLs")
    watch.add_argument("--backend", metavar="URL", help="shared with the other replicas: leases, locks, rate "
                       "windows, the journal (default $RECONCILER_BACKEND, else local files)")
    watch.add_argument("--journal", default=DEFAULT_JOURNAL, help=f"audit journal of heals (default {DEFAULT_JOURNAL})")
    watch.add_argument("--parallelism", type=_positive, metavar="N",
                       help="at most N accounts read at once (default 32)")


async def cmd_watch(args) -> int:
    import logging
    from .watch.loop import Watcher, secret_filter
    from .watch.metrics import Metrics
    from .watch.notify import Notifier, Target
    from .watch.server import StatusServer
    try:
        targets = [Target(url) for url in args.webhook]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("aiohttp").setLevel(logging.WARNING)
    watcher = Watcher(args.file, load_state=lambda path: _load(args, path), interval=args.interval,
                      backend_url=args.backend or os.environ.get("RECONCILER_BACKEND"), journal_path=args.journal,
                      metrics=Metrics(), extra_files=args.policy or [], parallelism=args.parallelism)
    watcher.notifier = Notifier(targets, redact=secret_filter(watcher.state))
    watcher.status = StatusServer(watcher.metrics, stale_after=max(60.0, 5 * watcher.interval))
    try:
        url = await watcher.status.start(args.metrics_host, args.metrics_port)
    except OSError as exc:
        raise ReconcilerError(f"watch: cannot listen on {args.metrics_host}:{args.metrics_port}: "
                              f"{exc.strerror or exc}") from None
    import asyncio

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, watcher.stop)
    loop.add_signal_handler(signal.SIGHUP, watcher.reload)
    print(f"metrics on {url}/metrics", flush=True)
    try:
        await watcher.run()
    finally:
        await watcher.status.stop()
    return EXIT_OK


def _looks_like_plan(target: str) -> bool:
    """A saved plan is a JSON object with format_version and changes; other JSON and YAML are desired states.
    A .json file that cannot be read as JSON is taken for a (broken) plan, so that its error says so."""
    try:
        from .strict_yaml import read_text
        document = _planfile().bounded_loads(read_text(Path(target))[0])
    except (ReconcilerError, ValueError, RecursionError):
        return target.endswith(".json")
    return isinstance(document, dict) and "format_version" in document and "changes" in document


def _print_plan(plan: Plan, fmt: str, verbose: bool) -> None:
    if fmt == "json":
        sys.stdout.write(plan.dumps())
    elif fmt == "markdown":
        from .views.markdown import render_markdown
        sys.stdout.write(render_markdown(plan))
    else:
        sys.stdout.write(render_plan(plan, Style.for_stream(sys.stdout), verbose=verbose))


def _progress_printer():
    """Progress on stderr: rich bars on a terminal, plain lines (no control characters) otherwise."""
    from .views.progress import RunProgress
    return RunProgress(sys.stderr)


COMMANDS = {"validate": cmd_validate, "plan": cmd_plan, "apply": cmd_apply, "show": cmd_show, "import": cmd_import,
            "sim": cmd_sim, "history": cmd_history, "backend": cmd_backend, "schema": cmd_schema,
            "watch": cmd_watch}

if __name__ == "__main__":
    sys.exit(main())
