"""network map: the round's option, respondents' map marks, their drafts, workshop maps

The netwerkkaart (after Van den Boom-Muilenburg & Ommering): `round.network_map` switches the
optional step on; `network_answer` holds a respondent's marks per target keyed by the response's
random id, with no time, apart from the knob answers; `network_draft` keeps a draft's marks for
resuming; `workshop_map` keeps the maps a team fills in together (team artefacts, not answers).

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-01 23:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('network_map', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        'network_answer',
        sa.Column('response_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('frequency', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('wetenschappelijk', sa.Boolean(), nullable=False),
        sa.Column('professioneel', sa.Boolean(), nullable=False),
        sa.Column('ervaring', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'],
                                name=op.f('fk_network_answer_response_id_response'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('response_id', 'target', name=op.f('pk_network_answer')),
    )
    op.create_table(
        'network_draft',
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('marks', sa.JSON(), nullable=False),
        sa.Column('skipped', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['draft_id'], ['draft.id'],
                                name=op.f('fk_network_draft_draft_id_draft'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('draft_id', name=op.f('pk_network_draft')),
    )
    op.create_table(
        'workshop_map',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('marks', sa.JSON(), nullable=False),
        sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['account.id'],
                                name=op.f('fk_workshop_map_created_by_account'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['institution_id'], ['institution.id'],
                                name=op.f('fk_workshop_map_institution_id_institution'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'],
                                name=op.f('fk_workshop_map_unit_id_unit'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_map')),
    )
    with op.batch_alter_table('workshop_map', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_map_created_by'), ['created_by'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_map_institution_id'), ['institution_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_map_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('workshop_map', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshop_map_unit_id'))
        batch_op.drop_index(batch_op.f('ix_workshop_map_institution_id'))
        batch_op.drop_index(batch_op.f('ix_workshop_map_created_by'))
    op.drop_table('workshop_map')
    op.drop_table('network_draft')
    op.drop_table('network_answer')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_column('network_map')
