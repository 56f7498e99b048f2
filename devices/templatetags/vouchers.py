"""Template helpers for data vouchers: how a kind or a batch reads in a sentence, and the coordinator's
voucher stock on the home page ({% voucher_stock_summary membership %}: the core's home view knows
nothing of vouchers; others see nothing)."""

from django import template

from devices.models import VoucherBatch, VoucherKind
from devices.vouchers.selectors import voucher_stock_labelled
from inclusion.access import Capability, membership_can

register = template.Library()


@register.filter
def kind_in_sentence(kind: str) -> str:
    """'data_code' → 'data voucher code', 'sim_card' → 'SIM card' (not 'sim card'), 'wifi' → 'Wi-Fi voucher'."""
    label = str(dict(VoucherKind.choices).get(kind, kind))
    first = label.split(" ")[0]
    if first.isupper() or first.startswith("Wi-Fi"):
        return label
    return label[0].lower() + label[1:]


@register.filter
def batch_name(batch: VoucherBatch) -> str:
    """'National Databank 20 GB data voucher code', '… 2.5 GB …' (VoucherBatch.__str__ says '20.0 GB')."""
    allowance = batch.data_allowance_gb
    size = f" {allowance.normalize():f} GB" if allowance else ""
    return f"{batch.provider}{size} {kind_in_sentence(batch.kind)}"


@register.inclusion_tag("devices/vouchers/home_stock.html")
def voucher_stock_summary(membership):
    if not membership_can(membership, Capability.MANAGE_STOCK):
        return {"show": False}
    return {"show": True, "voucher_stock": voucher_stock_labelled(organisation=membership.organisation)}
