"""rendered pages: the dashboard's fragments, charts, downloads and reports kept per release

`rendered` holds bytes drawn from one release, under a hash of everything they depend on, so
every app server reads what one of them drew and a restart keeps it. Rows go with their round
and release; a new release makes new keys and the old rows of the round are pruned.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:05:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rendered',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('release_id', sa.Integer(), nullable=True),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column('stamp', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('created_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['release_id'], ['release.id'],
                                name=op.f('fk_rendered_release_id_release'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'],
                                name=op.f('fk_rendered_round_id_round'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rendered')),
    )
    with op.batch_alter_table('rendered', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rendered_release_id'), ['release_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rendered_round_id'), ['round_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rendered', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rendered_round_id'))
        batch_op.drop_index(batch_op.f('ix_rendered_release_id'))
    op.drop_table('rendered')
