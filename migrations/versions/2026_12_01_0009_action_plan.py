"""action plan: the steps a board and its coordinators take after a round

`action` is one step of an institution's action plan: made after a round (its baseline), for a
knob of the whole institution or of one unit, with a title, an owner (a name as text), an
optional due date, a status (gepland, bezig, klaar, gestopt) and notes. Admin data, never
answers; a later round shows the change of its knob from published numbers only.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 15:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('knob', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('suggestion_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['account.id'], name=op.f('fk_action_created_by_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_action_institution_id_institution'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_action_round_id_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_action_unit_id_unit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['account.id'], name=op.f('fk_action_updated_by_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action'))
    )
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_updated_by'), ['updated_by'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_updated_by'))
        batch_op.drop_index(batch_op.f('ix_action_unit_id'))
        batch_op.drop_index(batch_op.f('ix_action_round_id'))
        batch_op.drop_index(batch_op.f('ix_action_institution_id'))
        batch_op.drop_index(batch_op.f('ix_action_created_by'))

    op.drop_table('action')
