"""two-factor sign-in: an authenticator app (TOTP) per account and single-use recovery codes

`two_factor` keeps the TOTP secret sealed with a key derived from the app's secret key, the
newest time step used (so a code is never accepted twice) and a counter of wrong codes.
`recovery_code` keeps only the sha256 of each long random recovery code.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'two_factor',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('secret_sealed', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('enrolled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('last_step', sa.BigInteger(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('first_failure_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'],
                                name=op.f('fk_two_factor_account_id_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_two_factor')),
    )
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'],
                                name=op.f('fk_recovery_code_account_id_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_recovery_code_code_hash')),
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_account_id'), ['account_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_account_id'))
    op.drop_table('recovery_code')
    op.drop_table('two_factor')
