"""The customer configuration: the demo loads; every mistake names the file, the key and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from sla import PolicyLibrary

GOOD = '''
[msp]
name = "MSP"
tenants = ["msp-tenant"]
admins = ["admin-1"]

[[customers]]
id = "acme"
name = "ACME Ltd"
reference_prefix = "ACME"
tenants = ["acme-tenant"]
policy = "vodafone-vone-m"
readings = ["elapsed_168h"]
timezone = "Europe/London"
services = ["inbound_pstn", "voicemail"]
engineers = "support_channel_members"
'''


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "customers.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_demo_configuration_has_one_customer_per_policy() -> None:
    config = load_config(None)
    assert sorted(c.policy.id for c in config.customers) == PolicyLibrary.load().ids()
    assert all(c.support_channel is not None and c.escalation.manager for c in config.customers)


def test_a_good_file_loads_with_its_readings_and_catalogue(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    acme = config.customer_for_tenant("acme-tenant")
    assert acme is not None and acme.policy.readings == ("elapsed_168h",)
    assert acme.services == {"inbound_pstn": "Inbound PSTN (external numbers)", "voicemail": "Voicemail"}
    assert acme.engineers_from_channel and config.is_known_tenant("msp-tenant")
    assert not config.is_known_tenant("stranger")


def test_a_customer_policy_file_of_its_own(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "sla" / "policies" / "voip-cat1.toml"
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "acme-gold.toml").write_text(
        shipped.read_text(encoding="utf-8").replace('id = "voip-cat1"', 'id = "acme-gold"'), encoding="utf-8")
    text = GOOD.replace('policy = "vodafone-vone-m"\nreadings = ["elapsed_168h"]',
                        'policy_file = "policies/acme-gold.toml"')
    assert load_config(write(tmp_path, text)).customers[0].policy.id == "acme-gold"


@pytest.mark.parametrize(("old", "new", "key", "problem"), [
    ('services = ["inbound_pstn", "voicemail"]', 'services = ["fax"]', "customers[0].services",
     "unknown service id 'fax'"),
    ('policy = "vodafone-vone-m"', 'policy = "gold"', "customers[0].policy", "unknown policy 'gold'"),
    ('readings = ["elapsed_168h"]', 'readings = ["generous"]', "customers[0].policy", "no reading 'generous'"),
    ('timezone = "Europe/London"', 'timezone = "Mars/Olympus"', "customers[0].timezone", "unknown time zone"),
    ('tenants = ["acme-tenant"]', 'tenants = []', "customers[0].tenants", "at least one"),
    ('reference_prefix = "ACME"', 'reference_prefix = "acme-1"', "customers[0].reference_prefix", "upper-case"),
    ('name = "ACME Ltd"', 'name = "ACME Ltd"\ncolour = "red"', "customers[0].colour", "unknown key"),
    ('admins = ["admin-1"]', 'admins = "admin-1"', "msp.admins", "must be a list"),
])
def test_a_mistake_names_file_key_and_problem(tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.source == str(path) and caught.value.key == key
    assert problem in caught.value.problem


def test_two_customers_cannot_share_a_tenant_or_a_prefix(tmp_path: Path) -> None:
    second = GOOD.split("[[customers]]")[1].replace('id = "acme"', 'id = "globex"')
    with pytest.raises(ConfigError, match="tenant acme-tenant already belongs to acme"):
        load_config(write(tmp_path, GOOD + "[[customers]]" + second.replace('"ACME"', '"GLOBEX"')))
    with pytest.raises(ConfigError, match="'ACME' is already used"):
        load_config(write(tmp_path, GOOD + "[[customers]]" + second.replace('"acme-tenant"', '"globex-tenant"')))


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"customers\.toml: \(syntax\): not valid TOML"):
        load_config(write(tmp_path, "[msp\n"))


def test_a_customer_can_change_its_escalation_ladder(tmp_path: Path) -> None:
    text = GOOD + '\n[customers.escalation]\nmanager = "m1"\n\n[customers.escalation.ladder]\n' \
                  'breached = ["manager", "team_lead"]\nat_risk = []\n'
    ladder = load_config(write(tmp_path, text)).customers[0].escalation.ladder
    assert ladder["breached"] == ("manager", "team_lead") and ladder["at_risk"] == ()
    assert ladder["p1_opened"] == ("duty_manager",)  # steps not named keep the default


def test_an_unknown_ladder_role_is_refused(tmp_path: Path) -> None:
    text = GOOD + '\n[customers.escalation.ladder]\nbreached = ["ceo"]\n'
    with pytest.raises(ConfigError, match=r"customers\[0\]\.escalation\.ladder\.breached: roles must be from"):
        load_config(write(tmp_path, text))
