"""Parse an `az ml ...` command line the way az does (argparse, as azure-cli itself), run the verb, format its
result with --query and -o, and map failures to az's messages and exit codes."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Dict, List, NoReturn, Optional, Sequence

import docker.errors

from localep.az.arguments import GLOBAL, Arg
from localep.az.errors import AzError, AzExit
from localep.az.notices import notice_once
from localep.az.output import render
from localep.az.table import VERBS, Verb
from localep.errors import LocalepError
from localep.interrupts import exit_code_of

PROG = "localep az"


class AzArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise AzError(f"{message}\nTry '{self.prog} --help' for the accepted arguments.", AzExit.USAGE)


def _add(parser: argparse.ArgumentParser, arg: Arg) -> None:
    options: Dict[str, Any] = {"dest": arg.dest, "help": arg.help}
    if arg.flag:
        options["action"] = "store_true"
    elif arg.many:
        options.update(action="extend", nargs="+", metavar="VALUE")
    else:
        options.update(metavar=arg.dest.upper())
        if arg.choices:
            options.update(choices=arg.choices, type=str.lower)
    if arg.default is not None:
        options["default"] = arg.default
    if arg.required:
        options["required"] = True
    parser.add_argument(*arg.flags, **options)


def build_parser() -> argparse.ArgumentParser:
    root = AzArgumentParser(prog=PROG, description="Run the `az ml` commands your scripts use, locally.",
                            epilog=_root_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter,
                            allow_abbrev=False)
    top = root.add_subparsers(dest="service", metavar="ml", parser_class=AzArgumentParser)
    ml = top.add_parser("ml", help="Azure Machine Learning commands, run on this machine.", allow_abbrev=False)
    groups = ml.add_subparsers(dest="group", metavar="GROUP", parser_class=AzArgumentParser)
    group_parsers: Dict[str, Any] = {}
    for verb in VERBS:
        if verb.group not in group_parsers:
            group = groups.add_parser(verb.group, help=f"{verb.group} commands", allow_abbrev=False)
            group_parsers[verb.group] = group.add_subparsers(dest="verb", metavar="VERB", parser_class=AzArgumentParser)
        parser = group_parsers[verb.group].add_parser(
            verb.name, help=verb.summary, description=verb.summary, epilog=f"Example:\n  {verb.example}",
            formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
        parser.set_defaults(verb=verb)
        for arg in verb.args + GLOBAL:
            _add(parser, arg)
    return root


def _root_epilog() -> str:
    lines = ["Commands:"]
    lines += [f"  ml {verb.group} {verb.name:<16} {verb.summary}" for verb in VERBS]
    lines += ["", "Example:", "  localep az ml online-endpoint create --local -n my-endpoint -f endpoint.yml",
              "  localep az ml online-deployment create --local -n blue -e my-endpoint -f blue-deployment.yml",
              "", "Exit codes: 0 success, 1 error, 2 bad command line, 3 resource not found (as az)."]
    return "\n".join(lines)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if not isinstance(getattr(args, "verb", None), Verb):
        path = [part for part in (getattr(args, "service", None), getattr(args, "group", None)) if part]
        raise AzError(f"'{' '.join([*path, str(getattr(args, 'verb', '') or '')]).strip() or 'az'}' needs a "
                      f"command; see '{PROG} --help'", AzExit.USAGE)
    return args


def given_without_effect(verb: Verb, args: argparse.Namespace) -> List[Arg]:
    return [arg for arg in verb.args + GLOBAL if arg.no_local_effect and getattr(args, arg.dest, None) not in (None, False)]


def main(argv: Sequence[str], stdout: Optional[Any] = None) -> int:
    out = stdout or sys.stdout
    try:
        args = parse(argv)
        verb: Verb = args.verb
        for arg in given_without_effect(verb, args):
            notice_once(arg.flags[-1], arg.no_local_effect, quiet=args.only_show_errors)
        result = verb.handler(args)
        out.write(render(result, args.output, args.query))
        out.flush()
        return int(AzExit.OK)
    except AzError as error:
        print(error.render(), file=sys.stderr)
        return int(error.exit_code)
    except LocalepError as error:
        print(AzError(str(error), detail=error.detail).render(), file=sys.stderr)
        return int(AzExit.ERROR)
    except docker.errors.DockerException as error:
        explanation = getattr(error, "explanation", None) or str(error)
        print(AzError(f"the Docker engine refused: {explanation}").render(), file=sys.stderr)
        return int(AzExit.ERROR)
    except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM or SIGHUP inside a Lifecycle
        print("ERROR: interrupted; what this command started was removed", file=sys.stderr)
        return int(exit_code_of(interrupt))
