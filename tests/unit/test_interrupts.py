"""Ctrl-C, SIGTERM and SIGHUP as one exception; the shield that holds them back during a cleanup."""

from __future__ import annotations

import os
import signal
import time

import pytest

from localep.exitcodes import ExitCode
from localep.interrupts import Interrupted, exit_code_of, shielded, signals_as_interrupts


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, ExitCode.INTERRUPTED), (signal.SIGTERM, ExitCode.TERMINATED),
                                              (signal.SIGHUP, ExitCode.HANGUP)])
def test_each_stop_signal_unwinds_like_ctrl_c_with_its_own_exit_code(signum, code):
    before = signal.getsignal(signum)
    seen = []
    with pytest.raises(KeyboardInterrupt) as raised:
        with signals_as_interrupts(seen.append):
            try:
                os.kill(os.getpid(), signum)
                time.sleep(5)
            finally:
                seen.append("finally ran")
    assert seen == [signum, "finally ran"]
    assert exit_code_of(raised.value) == code == 128 + signum
    assert signal.getsignal(signum) is before


def test_a_plain_keyboard_interrupt_is_ctrl_c():
    assert exit_code_of(KeyboardInterrupt()) == ExitCode.INTERRUPTED == 130
    assert isinstance(Interrupted(signal.SIGTERM), KeyboardInterrupt)


def test_signals_during_a_shield_are_held_back_and_listed():
    steps = []
    with shielded() as arrived:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        steps.append("cleanup finished")
    assert steps == ["cleanup finished"]
    assert arrived == [signal.SIGINT, signal.SIGTERM]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
