"""The recorded engine answers load, cover both engines alike and carry no real secret."""
import re

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.swarm import token_ca_digest, trust_root_digest
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load, names


def test_both_engines_have_the_same_fixtures():
    assert names(ENGINES[0]) == names(ENGINES[1])
    assert {'plain', 'limits', 'full', 'cpu-quota', 'info', 'info-locked', 'swarm', 'nodes-manager-down'} \
        <= set(names(ENGINES[0]))


@pytest.mark.parametrize('engine', ENGINES)
def test_join_tokens_are_fakes_whose_digest_is_the_trust_root(engine):
    for name in ('swarm', 'swarm-autolock'):
        swarm = load(engine, name)
        digest = trust_root_digest(swarm['TLSInfo']['TrustRoot'])
        for token in swarm['JoinTokens'].values():
            assert re.match(r'^SWMTKN-1-[0-9a-z]{50}-fake(worker|manager)token0+$', token)
            assert token_ca_digest(token) == digest


@pytest.mark.parametrize('engine', ENGINES)
@pytest.mark.parametrize('name', names(ENGINES[0]))
def test_no_unlock_key_or_real_token(engine, name):
    text = repr(load(engine, name))
    assert 'SWMKEY-1-' not in text
    assert all(token.endswith(('fakeworkertoken0000000000', 'fakemanagertoken000000000'))
               for token in re.findall(r'SWMTKN-1-[0-9a-z-]+', text))


def test_load_returns_a_fresh_copy():
    first = load(ENGINES[0], 'plain')
    first['Id'] = 'changed'
    assert load(ENGINES[0], 'plain')['Id'] != 'changed'
