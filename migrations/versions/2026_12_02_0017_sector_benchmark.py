"""sector benchmark: opt-ins per institution and questionnaire version, sector releases

`sector_opt_in` holds an institution's consent per questionnaire version; `sector_release` the
frozen sector numbers per (version, study year) and `sector_contribution` which institution
release went into each (internal: the differencing rule compares these sets).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 03:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'sector_opt_in',
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('questionnaire_slug', sqlmodel.sql.sqltypes.AutoString(length=40),
                  nullable=False),
        sa.Column('questionnaire_version', sqlmodel.sql.sqltypes.AutoString(length=20),
                  nullable=False),
        sa.Column('opted_in_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['institution_id'], ['institution.id'],
                                name=op.f('fk_sector_opt_in_institution_id_institution'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('institution_id', 'questionnaire_slug', 'questionnaire_version',
                                name=op.f('pk_sector_opt_in')),
    )
    op.create_table(
        'sector_release',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('questionnaire_slug', sqlmodel.sql.sqltypes.AutoString(length=40),
                  nullable=False),
        sa.Column('questionnaire_version', sqlmodel.sql.sqltypes.AutoString(length=20),
                  nullable=False),
        sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('institutions', sa.Integer(), nullable=False),
        sa.Column('numbers', sa.JSON(), nullable=False),
        sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('withdrawn_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sector_release')),
        sa.UniqueConstraint('questionnaire_slug', 'questionnaire_version', 'period', 'number',
                            name=op.f('uq_sector_release_questionnaire_slug')),
    )
    op.create_table(
        'sector_contribution',
        sa.Column('sector_release_id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('release_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['sector_release_id'], ['sector_release.id'],
                                name=op.f('fk_sector_contribution_sector_release_id_sector_release'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['institution_id'], ['institution.id'],
                                name=op.f('fk_sector_contribution_institution_id_institution'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['release_id'], ['release.id'],
                                name=op.f('fk_sector_contribution_release_id_release'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('sector_release_id', 'institution_id',
                                name=op.f('pk_sector_contribution')),
    )
    with op.batch_alter_table('sector_contribution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sector_contribution_release_id'), ['release_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sector_contribution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sector_contribution_release_id'))
    op.drop_table('sector_contribution')
    op.drop_table('sector_release')
    op.drop_table('sector_opt_in')
