"""The devices app's part of the region-scale dataset (inclusion/region.py, `manage.py build_region`): devices,
loans (open, overdue, closed; one open loan in ten to another organisation's resident, which shares that
resident with the lender) and voucher batches with their vouchers, a third of them issued. Set-based SQL only.

The database's own rules hold for what it builds: the status trigger (a device is on loan exactly when it has
an open loan) is checked before the transaction ends (SET CONSTRAINTS ALL IMMEDIATE), as are the constraints.
"""

from django.db import transaction

from inclusion.region import Region, int_array, shares

from .models import Device, Loan, Provider, Voucher, VoucherBatch

PROVIDERS = [("vodafone", "Vodafone"), ("o2", "O2"), ("three", "Three")]


def build_devices(region: Region) -> dict[str, int]:
    size = region.size
    device_counts = shares(size.devices, size.organisations, size.largest_share)
    starts, n = [], 1
    for count in device_counts:
        starts.append(n)
        n += count
    device_org_index = f"width_bucket(d, {int_array(starts)}::int[])"
    # Open loan g (1..open_loans) is of device floor((g - 1) * devices / open_loans) + 1: distinct devices,
    # spread evenly over every organisation's stock.
    open_device = f"(floor((g - 1)::bigint * {size.devices} / {size.open_loans}) + 1)::int"
    tag = "'RG-' || lpad(d::text, 6, '0')"
    with transaction.atomic():
        devices = region.insert_select(
            Device,
            {
                "asset_tag": tag,
                "serial_number": "'SN' || d",
                "kind": "(ARRAY['laptop','chromebook','tablet','smartphone','mifi'])[1 + mod(d, 5)]",
                "make": "(ARRAY['Lenovo','Acer','Samsung','Apple','HP'])[1 + mod(d, 5)]",
                "owning_organisation_id": region.organisation_id_sql(device_org_index),
                "location": "'Store ' || (1 + mod(d, 4))",
                "status": "(ARRAY['ready','ready','ready','received','in_repair'])[1 + mod(d / 7, 5)]",
            },
            f"generate_series(1, {size.devices}) d",
        )
        today = region.today
        organisation = region.organisation_id_sql(device_org_index)
        resident_number = (
            f"CASE WHEN mod(g, {size.shared_loan_every}) = 0 THEN 1 + floor(random() * {size.residents})::int "
            f"ELSE {region.random_resident_of_sql(device_org_index)} END"
        )
        # Open loans: every fourth of the first overdue_loans * 4 is overdue (started 29 to 89 days ago, due
        # after 28); the others started 0 to 27 days ago. Closed loans started 30 to 1,030 days ago.
        overdue = f"(g <= {size.overdue_loans * 4} AND mod(g, 4) = 0)"
        started = (
            f"CASE WHEN g > {size.open_loans} THEN %s::date - 30 - floor(random() * 1000)::int "
            f"WHEN {overdue} THEN %s::date - 29 - floor(random() * 60)::int "
            "ELSE %s::date - floor(random() * 28)::int END"
        )
        loans = region.insert_select(
            Loan,
            {
                "device_id": "device.id",
                "resident_id": region.resident_id_sql("r"),
                "organisation_id": "device.owning_organisation_id",
                "lent_by_id": f"({int_array(region.user_ids)})[org_index]",
                "agreement_method": "'signed_paper'",
                "agreement_terms_version": "'2026-01'",
                "agreement_accepted_at": "started::timestamptz",
                "started_on": "started",
                "due_on": "started + 28",
                "closed_at": f"CASE WHEN g > {size.open_loans} THEN started + 1 + floor(random() * 40)::int END",
                "outcome": f"CASE WHEN g > {size.open_loans} THEN 'returned' ELSE '' END",
                "returned_on": f"CASE WHEN g > {size.open_loans} THEN started + 1 END",
                "return_condition": f"CASE WHEN g > {size.open_loans} THEN 'good' ELSE '' END",
                "created_at": "started::timestamptz",
            },
            f"(SELECT g, d, {device_org_index} AS org_index, {resident_number} AS r, {started} AS started "
            f"FROM (SELECT g, CASE WHEN g <= {size.open_loans} THEN {open_device} "
            f"ELSE 1 + floor(random() * {size.devices})::int END AS d "
            f"FROM generate_series(1, {size.loans}) g) numbered) s "
            f"JOIN {Device._meta.db_table} device ON device.owning_organisation_id = {organisation} "
            f"AND device.asset_tag = {tag} ORDER BY s.started",  # stored in the order they were made
            [today, today, today],
        )
        region.cursor.execute(
            f"UPDATE {Device._meta.db_table} SET status = 'on_loan' WHERE id IN "
            f"(SELECT device_id FROM {Loan._meta.db_table} WHERE closed_at IS NULL)"
        )
        region.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    providers = [Provider.objects.get_or_create(slug=slug, defaults={"name": name})[0] for slug, name in PROVIDERS]
    batches = VoucherBatch.objects.bulk_create(
        VoucherBatch(provider=providers[(i + j) % len(providers)], organisation_id=org_id,
                     kind=["data_code", "sim_card"][j], reference=f"RG-{i:02d}-{j}", data_allowance_gb=20,
                     validity_days=30, expires_on=region.today.replace(year=region.today.year + 1),
                     received_on=region.today, created_by_id=region.user_ids[i])
        for i, org_id in enumerate(region.organisation_ids) for j in range(2)
    )  # fmt: skip
    batch_ids = int_array(b.pk for b in batches)
    batch_providers = int_array(b.provider_id for b in batches)
    batch_org_index = int_array(i + 1 for i in range(len(region.organisation_ids)) for _ in range(2))
    with transaction.atomic():
        vouchers = region.insert_select(
            Voucher,
            {
                "batch_id": f"({batch_ids})[b]",
                "provider_id": f"({batch_providers})[b]",
                "code": "'RGV' || lpad(v::text, 9, '0')",
                "status": "CASE WHEN mod(v, 3) = 0 THEN 'issued' ELSE 'available' END",
                "resident_id": f"CASE WHEN mod(v, 3) = 0 THEN "
                f"{region.resident_id_sql(region.random_resident_of_sql(f'({batch_org_index})[b]'))} END",
                "issued_at": "CASE WHEN mod(v, 3) = 0 THEN now() - random() * interval '300 days' END",
                "issued_by_id": f"CASE WHEN mod(v, 3) = 0 THEN ({int_array(region.user_ids)})[({batch_org_index})[b]] END",
            },
            f"(SELECT v, 1 + mod(v, {len(batches)}) AS b FROM generate_series(1, {size.vouchers}) v) s",
        )
    return {"devices": devices, "loans": loans, "voucher batches": len(batches), "vouchers": vouchers}
