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
    # pending first, then at most active, then at most one final state
    assert path[0] is Status.PENDING
    assert len(path) <= 3
    if len(path) >= 2:
        assert path[1] in (Status.ACTIVE, Status.DECLINED, Status.CANCELLED, Status.LAPSED)
    if len(path) == 3:
        assert path[1] is Status.ACTIVE
        assert path[2] in (Status.EXHAUSTED, Status.EXPIRED, Status.REVOKED)
