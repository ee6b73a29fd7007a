"""sign-in through OpenID Connect: an institution's sign-in policy and its domains

`sign_in_policy` holds the role an account made on its first sign-in gets and whether the password
form is off for the institution's accounts; `sso_domain` lists the institution claim values
(domains) whose users may get an account of that institution.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 03:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'sign_in_policy',
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('sso_role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('password_off', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['institution_id'], ['institution.id'],
                                name=op.f('fk_sign_in_policy_institution_id_institution'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('institution_id', name=op.f('pk_sign_in_policy')),
    )
    op.create_table(
        'sso_domain',
        sa.Column('domain', sqlmodel.sql.sqltypes.AutoString(length=253), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['institution_id'], ['institution.id'],
                                name=op.f('fk_sso_domain_institution_id_institution'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('domain', name=op.f('pk_sso_domain')),
    )
    with op.batch_alter_table('sso_domain', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_domain_institution_id'), ['institution_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sso_domain', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_domain_institution_id'))
    op.drop_table('sso_domain')
    op.drop_table('sign_in_policy')
