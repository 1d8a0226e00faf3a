"""One action's commands, retried only while the failure is transient (a held yum/dnf lock)."""

from __future__ import annotations

from typing import Callable, Sequence

from ..host import CommandResult, Host
from ..plan.model import RetryPolicy


def retrying_runner(
    host: Host, policy: RetryPolicy, sleep: Callable[[float], None], progress: Callable[[str], None]
) -> Callable[[Sequence[str]], CommandResult]:
    """host.run, retried with exponential backoff while the failure is transient (a lock)."""

    def run(argv: Sequence[str]) -> CommandResult:
        if policy.attempts <= 1:
            return host.run(argv)
        import tenacity  # only when an action with retries runs: a converged run never gets here

        def before_sleep(state: tenacity.RetryCallState) -> None:
            result = state.outcome.result() if state.outcome else None
            text = (result.stderr or result.stdout) if result else ""
            last = (text.strip().splitlines() or [""])[-1]
            progress(
                f"    transient failure (attempt {state.attempt_number}/{policy.attempts}), retrying: {last}"
            )

        retryer = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.attempts),
            wait=tenacity.wait_exponential(multiplier=policy.initial_delay, max=policy.max_delay),
            retry=tenacity.retry_if_result(lambda r: not r.ok and policy.is_transient(r)),
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
            sleep=sleep,
            before_sleep=before_sleep,
        )
        result: CommandResult = retryer(host.run, argv)
        return result

    return run
