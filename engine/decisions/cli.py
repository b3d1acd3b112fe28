"""Click commands `decide` and `dmn-tck`, registered on the `motcua` group by the web app's CLI."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import click

from engine.runtime.problems import ValidationFailed

from . import load_dmn
from .errors import DecisionError
from .hit_policy import Aggregation
from .scope import collect_notes
from .tck import run_tck
from .values import dumps_json


@click.command("decide")
@click.argument("dmn_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("decision_id")
@click.option("--data", default="{}", show_default=True, help="Input data as a JSON object.")
@click.option("--for-each", "for_each", help="Name of a list in the data: evaluate once per element.")
@click.option("--item", "item_name", default="item", show_default=True, help="Name bound to each element.")
@click.option(
    "--aggregation",
    type=click.Choice([a.value for a in Aggregation], case_sensitive=False),
    help="With --for-each: total the values (SUM, MIN, MAX, COUNT) instead of listing them.",
)
def decide(
    dmn_file: Path, decision_id: str, data: str, for_each: str | None, item_name: str, aggregation: str | None
) -> None:
    """Evaluate DECISION_ID of DMN_FILE and print the result as JSON (numbers exact)."""
    try:
        context = json.loads(data, parse_float=Decimal, parse_int=Decimal)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--data") from None
    if not isinstance(context, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--data")
    try:
        model = load_dmn(dmn_file.read_bytes(), str(dmn_file))
    except ValidationFailed as failed:
        raise click.ClickException(f"{dmn_file} cannot be loaded:\n{failed}") from None
    try:
        with collect_notes() as notes:
            if for_each:
                if for_each not in context:
                    raise DecisionError(f"'{for_each}' is not in the data")
                value = model.evaluate_each(
                    decision_id,
                    context[for_each],
                    item_name,
                    context,
                    Aggregation(aggregation.upper()) if aggregation else None,
                )
                result = {model.result_key(decision_id): value}
            else:
                result = model.evaluate(decision_id, context)
    except DecisionError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(dumps_json(result))
    for reason in notes:  # why a value is null, on stderr so stdout stays JSON
        click.echo(f"note: {reason}", err=True)


@click.command("dmn-tck")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def dmn_tck(path: Path) -> None:
    """Run the DMN TCK test cases found under PATH; one line per failing result, then the totals.
    Exits with status 1 when any case fails."""
    outcomes = run_tck(path)
    failed = [outcome for outcome in outcomes if not outcome.passed]
    for outcome in failed:
        click.echo(str(outcome))
    click.echo(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    if failed:
        click.get_current_context().exit(1)
