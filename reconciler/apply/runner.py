"""One action's commands, retried only while the failure is transient (a held yum/dnf lock)."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..host import CommandResult, Host
from ..plan.model import RetryPolicy


def _last_result(retry_state: Any) -> Any:
    """After the last attempt: hand back its result (a failed CommandResult), not a RetryError."""
    return retry_state.outcome.result() if retry_state.outcome else None


def retrying_runner(
    host: Host, policy: RetryPolicy, sleep: Callable[[float], None], progress: Callable[[str], None]
) -> Callable[[Sequence[str]], CommandResult]:
    """host.run, retried with exponential backoff while the failure is transient (a lock)."""

    def run(argv: Sequence[str]) -> CommandResult:
        if policy.attempts <= 1:
            return host.run(argv)
        import tenacity  # only when an action with retries runs: a converged run never gets here

        # the parameter must be named retry_state: tenacity 6 (RHEL 9's) tells callback styles apart by it
        def before_sleep(retry_state: tenacity.RetryCallState) -> None:
            result = retry_state.outcome.result() if retry_state.outcome else None
            text = (result.stderr or result.stdout) if result else ""
            last = (text.strip().splitlines() or [""])[-1]
            attempt = retry_state.attempt_number
            progress(f"    transient failure (attempt {attempt}/{policy.attempts}), retrying: {last}")

        retryer = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.attempts),
            wait=tenacity.wait_exponential(multiplier=policy.initial_delay, max=policy.max_delay),
            retry=tenacity.retry_if_result(lambda r: not r.ok and policy.is_transient(r)),
            retry_error_callback=_last_result,
            sleep=sleep,
            before_sleep=before_sleep,
        )
        result: CommandResult = retryer(host.run, argv)
        return result

    return run
