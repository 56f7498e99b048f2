"""The access log's table, and the trigger that makes it append-only: UPDATE and DELETE of any row raise an
error, whoever runs them (the application, a bulk update, raw SQL). Only the table's owner can drop the
trigger, deliberately, e.g. for a retention purge agreed with the data protection officer (SECURITY.md)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('inclusion', '0010_audit_events_and_registered_event_kinds'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AccessLogEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('action', models.CharField(choices=[('resident_viewed', 'Opened their record'), ('voucher_code_revealed', 'Saw a voucher code'), ('export_downloaded', 'Downloaded an export'), ('duplicate_matched', 'Found them in a duplicate check'), ('subject_access_exported', 'Produced their subject access export')], max_length=40)),
                ('actor_label', models.CharField(max_length=200)),
                ('object_type', models.CharField(blank=True, max_length=60)),
                ('object_id', models.CharField(blank=True, max_length=150)),
                ('channel', models.CharField(choices=[('web', 'Staff web'), ('api', 'Partner API'), ('system', 'The system')], max_length=10)),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True)),
                ('api_key', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='inclusion.organisationapikey')),
                ('organisation', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='inclusion.organisation')),
                ('owning_organisation', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='inclusion.organisation')),
                ('resident', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='inclusion.resident')),
                ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'access log entry',
                'verbose_name_plural': 'access log',
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['owning_organisation', '-at'], name='access_log_owner_time'), models.Index(fields=['resident', '-at'], name='access_log_resident_time'), models.Index(fields=['-at'], name='access_log_time')],
            },
        ),
        migrations.RunSQL(
            sql="""
            CREATE FUNCTION privacy_access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'The access log is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$;
            CREATE TRIGGER access_log_append_only
                BEFORE UPDATE OR DELETE ON privacy_accesslogentry
                FOR EACH ROW EXECUTE FUNCTION privacy_access_log_append_only();
            """,
            reverse_sql="""
            DROP TRIGGER IF EXISTS access_log_append_only ON privacy_accesslogentry;
            DROP FUNCTION IF EXISTS privacy_access_log_append_only();
            """,
        ),
    ]
