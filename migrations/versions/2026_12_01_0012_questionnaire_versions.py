"""questionnaire versions: an archived version stays viewable and is never fillable

`published_questionnaire.archived_at` records the administrator's archiving of a version; the
row itself (with its content hash) already records that a version is published. Forward only:
draft → published → archived (`api.setup.questionnaire_versions`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 23:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('published_questionnaire') as batch_op:
        batch_op.add_column(sa.Column('archived_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('published_questionnaire') as batch_op:
        batch_op.drop_column('archived_at')
