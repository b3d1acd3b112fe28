"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-24 21:54:31.068555
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.runtime.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_table('calendar_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('day_off', 'working_day', name='kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_override')),
    sa.UniqueConstraint('date', name=op.f('uq_calendar_override_date'))
    )
    op.create_table('escalation_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=100), nullable=False),
    sa.Column('milestone', sa.String(length=20), nullable=False),
    sa.Column('notify', sa.String(length=100), nullable=False),
    sa.Column('by_email', sa.Boolean(), nullable=False),
    sa.Column('created_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_rule'))
    )
    op.create_table('number_sequence',
    sa.Column('book', sa.String(length=120), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('book', name=op.f('pk_number_sequence'))
    )
    op.create_table('process_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('spec_json', sa.Text(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('catalogue', sa.JSON(), nullable=False),
    sa.Column('deployed_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('deployed_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_definition')),
    sa.UniqueConstraint('process_id', 'content_hash', name='uq_process_definition_hash'),
    sa.UniqueConstraint('process_id', 'version', name='uq_process_definition_version')
    )
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_definition_process_id'), ['process_id'], unique=False)

    op.create_table('studio_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('main_file', sa.String(length=500), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('base', sa.JSON(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_studio_draft')),
    sa.UniqueConstraint('subject', name=op.f('uq_studio_draft_subject'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=12), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('created_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('revoked_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_api_token_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('dossier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('next_timer_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('legal_clock', sa.JSON(), nullable=True),
    sa.Column('due_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('total_due_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('clock_paused', sa.Boolean(), nullable=False),
    sa.Column('next_milestone_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('milestones_fired', sa.JSON(), nullable=False),
    sa.Column('timer_claimed_by', sa.String(length=100), nullable=True),
    sa.Column('timer_claimed_until', engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('incident', sa.Text(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'], name=op.f('fk_dossier_definition_id_process_definition')),
    sa.ForeignKeyConstraint(['parent_id'], ['dossier.id'], name=op.f('fk_dossier_parent_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier')),
    sa.UniqueConstraint('code', name=op.f('uq_dossier_code'))
    )
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_definition_id'), ['definition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_next_milestone_at'), ['next_milestone_at'], unique=False)
        batch_op.create_index('ix_dossier_next_timer', ['next_timer_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_dossier_running_total_due', ['total_due_at'], unique=False, postgresql_where=sa.text("status = 'running'"), sqlite_where=sa.text("status = 'running'"))
        batch_op.create_index('ix_dossier_status_procedure', ['status', 'process_id', 'clock_paused', 'due_at', 'total_due_at'], unique=False)

    op.create_table('user_role',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_role_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_role'))
    )
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_role_role'), ['role'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=100), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('read_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('mail_status', sa.String(length=10), nullable=False),
    sa.Column('mailed_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('mail_error', sa.Text(), nullable=True),
    sa.Column('message_id', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_alert_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index('ix_alert_mail', ['mail_status', 'id'], unique=False)
        batch_op.create_index('ix_alert_recipient', ['recipient', 'read_at', 'id'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=100), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('uploaded_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_attachment_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index('ix_attachment_dossier', ['dossier_id', 'id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('command', sa.String(length=50), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('task_name', sa.String(length=200), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_audit_event_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_dossier', ['dossier_id', 'id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('created_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_document_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index('ix_document_dossier', ['dossier_id', 'id'], unique=False)

    op.create_table('registry_declaration_confirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('holder_name', sa.String(length=300), nullable=False),
    sa.Column('device_name', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('tube_serial', sa.String(length=100), nullable=False),
    sa.Column('acquired_on', sa.Date(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_registry_declaration_confirmation_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_declaration_confirmation')),
    sa.UniqueConstraint('number', name=op.f('uq_registry_declaration_confirmation_number'))
    )
    with op.batch_alter_table('registry_declaration_confirmation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_declaration_confirmation_tube_serial'), ['tube_serial'], unique=False)

    op.create_table('registry_licence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('holder_name', sa.String(length=300), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('previous_number', sa.String(length=50), nullable=True),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_registry_licence_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_licence')),
    sa.UniqueConstraint('number', name=op.f('uq_registry_licence_number'))
    )
    op.create_table('registry_quantity_mark_declaration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('declaration_number', sa.String(length=50), nullable=False),
    sa.Column('facility_name', sa.String(length=300), nullable=False),
    sa.Column('goods_group', sa.String(length=1), nullable=False),
    sa.Column('goods', sa.JSON(), nullable=False),
    sa.Column('reception_count', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_registry_quantity_mark_declaration_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_quantity_mark_declaration')),
    sa.UniqueConstraint('facility_name', 'declaration_number', name='uq_quantity_mark_declaration')
    )
    op.create_table('registry_worker_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('id_number', sa.String(length=20), nullable=False),
    sa.Column('job', sa.String(length=100), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_registry_worker_certificate_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_worker_certificate')),
    sa.UniqueConstraint('number', name=op.f('uq_registry_worker_certificate_number'))
    )
    with op.batch_alter_table('registry_worker_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_worker_certificate_id_number'), ['id_number'], unique=False)

    op.create_table('tracking_secret',
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_tracking_secret_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('dossier_id', name=op.f('pk_tracking_secret'))
    )
    op.create_table('work_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('task_spec', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('role', sa.String(length=100), nullable=False),
    sa.Column('form', sa.String(length=200), nullable=True),
    sa.Column('assignee', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('due_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_work_item_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_item')),
    sa.UniqueConstraint('task_id', name=op.f('uq_work_item_task_id'))
    )
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.create_index('ix_work_item_assignee', ['status', 'assignee', 'due_at'], unique=False)
        batch_op.create_index('ix_work_item_dossier', ['dossier_id', 'status'], unique=False)
        batch_op.create_index('ix_work_item_inbox', ['status', 'role', 'due_at', 'id'], unique=False)

    op.create_table('deadline_extension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('new_appointment_on', sa.Date(), nullable=False),
    sa.Column('previous_appointment_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('before_due', sa.Boolean(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_deadline_extension_document_id_document')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_deadline_extension_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_extension')),
    sa.UniqueConstraint('dossier_id', name=op.f('uq_deadline_extension_dossier_id'))
    )
    op.create_table('registry_licence_device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('licence_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('mobility', sa.String(length=10), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('tube_serial', sa.String(length=100), nullable=False),
    sa.Column('console_serial', sa.String(length=100), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('added_on', sa.Date(), nullable=False),
    sa.Column('removed_on', sa.Date(), nullable=True),
    sa.Column('removal_reason', sa.String(length=30), nullable=True),
    sa.ForeignKeyConstraint(['licence_id'], ['registry_licence.id'], name=op.f('fk_registry_licence_device_licence_id_registry_licence')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_licence_device'))
    )
    with op.batch_alter_table('registry_licence_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_licence_device_licence_id'), ['licence_id'], unique=False)

    op.create_table('registry_licence_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('licence_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_registry_licence_event_dossier_id_dossier')),
    sa.ForeignKeyConstraint(['licence_id'], ['registry_licence.id'], name=op.f('fk_registry_licence_event_licence_id_registry_licence')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_licence_event'))
    )
    with op.batch_alter_table('registry_licence_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_licence_event_licence_id'), ['licence_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('registry_licence_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_licence_event_licence_id'))

    op.drop_table('registry_licence_event')
    with op.batch_alter_table('registry_licence_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_licence_device_licence_id'))

    op.drop_table('registry_licence_device')
    op.drop_table('deadline_extension')
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_index('ix_work_item_inbox')
        batch_op.drop_index('ix_work_item_dossier')
        batch_op.drop_index('ix_work_item_assignee')

    op.drop_table('work_item')
    op.drop_table('tracking_secret')
    with op.batch_alter_table('registry_worker_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_worker_certificate_id_number'))

    op.drop_table('registry_worker_certificate')
    op.drop_table('registry_quantity_mark_declaration')
    op.drop_table('registry_licence')
    with op.batch_alter_table('registry_declaration_confirmation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_declaration_confirmation_tube_serial'))

    op.drop_table('registry_declaration_confirmation')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index('ix_document_dossier')

    op.drop_table('document')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_dossier')

    op.drop_table('audit_event')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index('ix_attachment_dossier')

    op.drop_table('attachment')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_recipient')
        batch_op.drop_index('ix_alert_mail')

    op.drop_table('alert')
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_role_role'))

    op.drop_table('user_role')
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_index('ix_dossier_status_procedure')
        batch_op.drop_index('ix_dossier_running_total_due', postgresql_where=sa.text("status = 'running'"), sqlite_where=sa.text("status = 'running'"))
        batch_op.drop_index(batch_op.f('ix_dossier_parent_id'))
        batch_op.drop_index('ix_dossier_next_timer')
        batch_op.drop_index(batch_op.f('ix_dossier_next_milestone_at'))
        batch_op.drop_index(batch_op.f('ix_dossier_due_at'))
        batch_op.drop_index(batch_op.f('ix_dossier_definition_id'))

    op.drop_table('dossier')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('studio_draft')
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_definition_process_id'))

    op.drop_table('process_definition')
    op.drop_table('number_sequence')
    op.drop_table('escalation_rule')
    op.drop_table('calendar_override')
    op.drop_table('app_user')
