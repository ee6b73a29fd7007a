"""own results: a respondent's own star behind a private results link

`own_result` holds a respondent's own knob scores under the hash of a secret made at submit and
shown once. It names no invitation, draft, response or time, so neither the invitation link
nor the database can tie it to whoever was invited; its id is random like a response's.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'own_result',
        sa.Column('id', BigId, autoincrement=False, nullable=False),
        sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('scores', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_own_result_round_id_round'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_own_result_unit_id_unit'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_own_result')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_own_result_secret_hash')),
    )
    with op.batch_alter_table('own_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_own_result_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('own_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_own_result_unit_id'))
    op.drop_table('own_result')
