"""dmn/radiation_fees.dmn against the figures of the Vietnamese source (section h of procedures 1-3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.decisions import Aggregation, DecisionError, DecisionModel

# Procedure 2, h) Phí thẩm định, Circular 287/2016/TT-BTC, VND per device.
FEE_PER_DEVICE = {
    "dental": 2_000_000,
    "mammography": 2_000_000,
    "mobile": 2_000_000,
    "general": 3_000_000,
    "bone_density": 3_000_000,
    "fluoroscopy": 5_000_000,
    "ct": 8_000_000,
    "pet_ct": 16_000_000,
}

TEN_DEVICES = [
    {"purpose": purpose, "serial": f"SN-{number}"}
    for number, purpose in enumerate(
        ["dental", "mammography", "mobile", "general", "bone_density", "fluoroscopy", "ct", "pet_ct", "ct", "dental"], 1
    )
]


def licence_fee(fees: DecisionModel, devices: list[dict[str, str]]) -> Decimal:
    return fees.evaluate_each("device_fee", devices, "device", {}, Aggregation.SUM)


@pytest.mark.parametrize(("purpose", "fee"), sorted(FEE_PER_DEVICE.items()))
def test_one_device(fees: DecisionModel, purpose: str, fee: int) -> None:
    result = fees.evaluate("device_fee", {"device": {"purpose": purpose}})
    assert result == {"device_fee": Decimal(fee)}
    assert isinstance(result["device_fee"], Decimal)
    assert licence_fee(fees, [{"purpose": purpose}]) == Decimal(fee)


def test_ten_mixed_devices_are_summed_exactly(fees: DecisionModel) -> None:
    total = licence_fee(fees, TEN_DEVICES)
    assert total == Decimal(51_000_000)
    assert total == sum(Decimal(FEE_PER_DEVICE[d["purpose"]]) for d in TEN_DEVICES)
    assert isinstance(total, Decimal)


def test_renewal_pays_75_percent_of_the_new_licence_fee(fees: DecisionModel) -> None:
    total = licence_fee(fees, TEN_DEVICES)
    assert fees.evaluate("renewal_appraisal_fee", {"appraisal_fee": total}) == {
        "renewal_appraisal_fee": Decimal(38_250_000)
    }
    one_dental = licence_fee(fees, [{"purpose": "dental"}])
    assert fees.evaluate("renewal_appraisal_fee", {"appraisal_fee": one_dental})["renewal_appraisal_fee"] == Decimal(
        1_500_000
    )


def test_radiation_worker_certificate_charge(fees: DecisionModel) -> None:
    assert fees.evaluate("worker_certificate_charge", {"certificate_count": 1}) == {
        "worker_certificate_charge": Decimal(200_000)
    }
    assert fees.evaluate("worker_certificate_charge", {"certificate_count": 2}) == {
        "worker_certificate_charge": Decimal(400_000)
    }


def test_an_unknown_device_purpose_is_an_error_naming_the_device(fees: DecisionModel) -> None:
    with pytest.raises(DecisionError, match=r'device 3 of 3: .*"xray" is not one of the allowed values'):
        licence_fee(fees, [{"purpose": "ct"}, {"purpose": "dental"}, {"purpose": "xray"}])


def test_a_device_without_a_purpose_is_not_silently_free(fees: DecisionModel) -> None:
    with pytest.raises(DecisionError, match="device 2 of 2: decision 'device_fee' gives no value"):
        licence_fee(fees, [{"purpose": "ct"}, {"serial": "SN-9"}])


def test_the_fee_file_cites_its_legal_source(fees: DecisionModel) -> None:
    assert fees.source.count("287/2016/TT-BTC") >= 3
    assert fees.decision_ids == ["device_fee", "renewal_appraisal_fee", "worker_certificate_charge"]


def test_a_mobile_general_purpose_device_is_charged_as_mobile(fees: DecisionModel) -> None:
    # TT 2 h): "Thiết bị X-quang di động: 2.000.000 đồng/1 thiết bị", whatever the mobile device is used for;
    # the same device fixed is a general one at 3,000,000.
    mobile = {"purpose": "general", "mobility": "mobile"}
    assert fees.evaluate("device_fee", {"device": mobile}) == {"device_fee": Decimal(2_000_000)}
    assert fees.evaluate("device_fee", {"device": {**mobile, "mobility": "fixed"}}) == {
        "device_fee": Decimal(3_000_000)}


def test_a_mix_of_fixed_and_mobile_devices_and_its_renewal(fees: DecisionModel) -> None:
    devices = [{"purpose": "general", "mobility": "mobile"}, {"purpose": "ct", "mobility": "fixed"},
               {"purpose": "general", "mobility": "fixed"}, {"purpose": "dental", "mobility": "mobile"}]
    total = licence_fee(fees, devices)
    assert total == Decimal(2_000_000 + 8_000_000 + 3_000_000 + 2_000_000)
    assert fees.evaluate("renewal_appraisal_fee", {"appraisal_fee": total}) == {
        "renewal_appraisal_fee": Decimal(11_250_000)}
