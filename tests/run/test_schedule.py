"""The open-model schedule: exact due times, global rate shared by processes, ramps."""

from __future__ import annotations

import itertools

import pytest

from benchkit.load.schedule import RateProfile, Step, mono_origin, slots


def test_constant_rate_due_times_are_absolute() -> None:
    profile = RateProfile.constant(600)  # one every 0.1 s
    assert [round(profile.due_offset(k), 9) for k in range(4)] == [0.0, 0.1, 0.2, 0.3]
    assert profile.due_offset(6000) == pytest.approx(600.0)


def test_processes_take_every_nth_slot_of_one_global_schedule() -> None:
    profile = RateProfile.constant(1000)
    one = list(slots(profile, 100))
    shared = [s for i in range(3) for s in slots(profile, 100, i, 3)]
    assert sorted(shared, key=lambda s: s.seq) == one
    assert [s.seq for s in slots(profile, 10, 2, 3)] == [2, 5, 8]
    # the union keeps the global spacing: 1000/min whatever the number of processes
    dues = sorted(s.due_offset for s in shared)
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(dues)}
    assert gaps == {0.06}
    with pytest.raises(ValueError):
        list(slots(profile, 10, 3, 3))


def test_ramp_steps_rate_up_to_max_and_integrates_arrivals() -> None:
    profile = RateProfile.ramp(60, 60, 10, top=180, total=1000)
    assert [(s.start_s, s.per_min) for s in profile.steps] == [(0, 60), (10, 120), (20, 180)]
    # 10 arrivals in step 0 (60/min for 10 s), then 20 in step 1, then 180/min for ever
    assert profile.due_offset(10) == pytest.approx(10.0)
    assert profile.due_offset(20) == pytest.approx(15.0)
    assert profile.due_offset(30) == pytest.approx(20.0)
    assert profile.due_offset(33) == pytest.approx(21.0)
    assert profile.rate_at(25) == 180 and profile.step_index(9.99) == 0 and profile.step_index(10) == 1
    dues = [s.due_offset for s in slots(profile, 60)]
    assert dues == sorted(dues) and dues[0] == 0.0


def test_ramp_without_max_stops_growing_once_total_is_due() -> None:
    profile = RateProfile.ramp(60, 60, 60, top=None, total=300)
    # 60 + 120 + 180 >= 300: three steps are enough
    assert [s.per_min for s in profile.steps] == [60, 120, 180]


def test_bad_profiles_and_origin() -> None:
    with pytest.raises(ValueError):
        RateProfile((Step(1.0, 10),))
    with pytest.raises(ValueError):
        RateProfile((Step(0.0, 10), Step(0.0, 20)))
    with pytest.raises(ValueError):
        RateProfile.constant(0)
    # a wall-clock t0 two seconds ahead lands two seconds ahead on this process's monotonic clock
    assert mono_origin(t0_wall=1002.0, now_wall=1000.0, now_mono=50.0) == 52.0
