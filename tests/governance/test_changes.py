"""Change notices: a changed register or feed becomes a recorded notice."""

import dataclasses

from joinedup.governance.changes import notices, record_changes
from joinedup.governance.register import load_register
from joinedup.governance.synthetic import write_register
from joinedup.synth.config import AreaSpec
from joinedup.synth.simulate import generate


def test_a_changed_purpose_controller_or_agreement_is_a_notice(tmp_path):
    generate(tmp_path / "area", AreaSpec(people=200, seed=2, months=12), progress=False)
    register = load_register(write_register(tmp_path / "area"))
    assert record_changes(register) == []  # the first check records the starting state
    assert record_changes(register) == [] and notices(register) == []

    agreements = []
    for a in register.agreements:
        if a.feed == "acute_apc":
            a = dataclasses.replace(a, purposes=a.purposes[:-1], controllers=("99G",))
        if a.feed != "deaths":
            agreements.append(a)
    changed = dataclasses.replace(register, agreements=tuple(agreements), sha256="f" * 64)
    lines = record_changes(changed)
    dropped = register.agreements[0].purposes[-1]
    assert f"acute_apc: purposes removed {dropped}" in lines
    assert any(line.startswith("acute_apc: controllers added Southend Clinical") for line in lines)
    assert any(line.startswith("deaths: controllers removed") for line in lines)
    [notice] = notices(changed)
    assert notice["changes"] == lines and notice["previous_register"] == register.sha256
