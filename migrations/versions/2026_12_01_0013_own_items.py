"""own items: the institution's own statements and open questions in a round, and their answers

`own_item` holds up to 10 statements and 3 open questions per round, added before it opens;
`own_answer` their answers, keyed by the (random) response id with no time, apart from `answer`
and `knob_score` so nothing can mix them into the instrument's knob scores. `draft.own_answers`
keeps them while the survey is being filled in.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-01 23:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'own_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('statement_nl', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('statement_en', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('knob', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'],
                                name=op.f('fk_own_item_round_id_round'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_own_item')),
    )
    with op.batch_alter_table('own_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_own_item_round_id'), ['round_id'], unique=False)
    big_id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table(
        'own_answer',
        sa.Column('response_id', big_id, nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=True),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.ForeignKeyConstraint(['item_id'], ['own_item.id'],
                                name=op.f('fk_own_answer_item_id_own_item'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'],
                                name=op.f('fk_own_answer_response_id_response'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('response_id', 'item_id', name=op.f('pk_own_answer')),
    )
    with op.batch_alter_table('own_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_own_answer_item_id'), ['item_id'], unique=False)
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('own_answers', sa.JSON(), nullable=False,
                                      server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.drop_column('own_answers')
    with op.batch_alter_table('own_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_own_answer_item_id'))
    op.drop_table('own_answer')
    with op.batch_alter_table('own_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_own_item_round_id'))
    op.drop_table('own_item')
