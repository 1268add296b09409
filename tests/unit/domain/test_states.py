import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anxin.domain.states import TRANSITIONS, Action, InvalidTransition, Status, transition

ALLOWED = {
    (Status.PENDING, Action.SIGN): Status.ACTIVE,
    (Status.PENDING, Action.DECLINE): Status.DECLINED,
    (Status.PENDING, Action.CANCEL): Status.CANCELLED,
    (Status.PENDING, Action.LAPSE): Status.LAPSED,
    (Status.ACTIVE, Action.EXHAUST): Status.EXHAUSTED,
    (Status.ACTIVE, Action.EXPIRE): Status.EXPIRED,
    (Status.ACTIVE, Action.REVOKE): Status.REVOKED,
    (Status.ACTIVE, Action.PAUSE): Status.PAUSED,
    (Status.PAUSED, Action.RESUME): Status.ACTIVE,
    (Status.PAUSED, Action.REVOKE): Status.REVOKED,
    (Status.PAUSED, Action.EXPIRE): Status.EXPIRED,
}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(Status, Action)))
def test_every_pair_is_either_the_contract_transition_or_refused(state, action):
    if (state, action) in ALLOWED:
        assert transition(state, action) is ALLOWED[(state, action)]
    else:
        with pytest.raises(InvalidTransition) as exc:
            transition(state, action)
        assert exc.value.current is state


def test_table_is_exactly_the_contract():
    assert TRANSITIONS == ALLOWED


def test_final_states_have_no_way_out():
    for state in Status:
        if state.is_final:
            assert not [a for a in Action if (state, a) in TRANSITIONS]


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_no_sequence_reaches_a_state_outside_the_diagram(actions):
    state = Status.PENDING
    path = [state]
    for action in actions:
        try:
            state = transition(state, action)
        except InvalidTransition:
            continue
        path.append(state)
    # pending first, then active and paused alternating, then at most one final state;
    # a paused authorization never exhausts (no use is granted while paused)
    assert path[0] is Status.PENDING
    if len(path) >= 2:
        assert path[1] in (Status.ACTIVE, Status.DECLINED, Status.CANCELLED, Status.LAPSED)
    middle = path[1:-1] if path[-1].is_final else path[1:]
    assert all(s is (Status.ACTIVE if i % 2 == 0 else Status.PAUSED)
               for i, s in enumerate(middle))
    finals = [s for s in path if s.is_final]
    assert len(finals) <= 1
    if finals and len(path) > 2:
        assert path[-1] in (Status.EXPIRED, Status.REVOKED) or (
            path[-1] is Status.EXHAUSTED and path[-2] is Status.ACTIVE)


def test_paused_is_not_final_and_a_pause_is_undone_only_by_resuming():
    assert not Status.PAUSED.is_final
    assert [a for a in Action if (Status.PAUSED, a) in TRANSITIONS] == [
        Action.EXPIRE, Action.REVOKE, Action.RESUME]
