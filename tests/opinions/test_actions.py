import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.opinions import actions
from fengping.opinions.models import (
    ActivityKind,
    CommentChannel,
    QuestionKind,
    QuestionnaireStatus,
    Stance,
)
from tests.opinions.conftest import build_questionnaire, register_matter


def test_new_questionnaire_starts_with_the_default_stance_question(org, matter):
    qn = actions.do_create_questionnaire(org.rsj_handler, matter, title="问卷")
    (q,) = qn.questions.all()
    assert q.is_stance and q.kind == QuestionKind.SINGLE
    assert q.choices == ["支持", "基本支持", "无所谓", "不支持", "反对"]
    assert q.stances == ["support", "support", "neutral", "oppose", "oppose"]
    assert qn.groups == ["直接利益群体", "周边群众", "企业", "专家", "其他"]
    assert Event.objects.filter(
        action="opinions.questionnaire.create", object_id=str(qn.pk)
    ).exists()


def test_only_one_stance_question(org, matter):
    qn = actions.do_create_questionnaire(org.rsj_handler, matter, title="问卷")
    with pytest.raises(ActionError, match="只能有一道态度题"):
        actions.do_add_question(
            org.rsj_handler,
            qn,
            kind=QuestionKind.SINGLE,
            text="第二道态度题",
            choices=["赞成", "反对"],
            stances=[Stance.SUPPORT, Stance.OPPOSE],
            is_stance=True,
        )


def test_stance_question_needs_a_stance_per_choice_and_single_choice(org, matter):
    qn = actions.do_create_questionnaire(
        org.rsj_handler, matter, title="问卷", with_stance_question=False
    )
    with pytest.raises(ActionError, match="每个选项都要标明"):
        actions.do_add_question(
            org.rsj_handler,
            qn,
            kind=QuestionKind.SINGLE,
            text="态度",
            choices=["赞成", "反对"],
            stances=["support"],
            is_stance=True,
        )
    with pytest.raises(ActionError, match="必须是单选题"):
        actions.do_add_question(
            org.rsj_handler,
            qn,
            kind=QuestionKind.MULTIPLE,
            text="态度",
            choices=["赞成", "反对"],
            stances=["support", "oppose"],
            is_stance=True,
        )
    with pytest.raises(ActionError, match="至少需要两个选项"):
        actions.do_add_question(
            org.rsj_handler, qn, kind=QuestionKind.SINGLE, text="单选", choices=["唯一"]
        )


def test_publish_needs_questions_and_a_future_deadline(org, matter):
    qn = actions.do_create_questionnaire(
        org.rsj_handler, matter, title="问卷", with_stance_question=False
    )
    with pytest.raises(ActionError, match="还没有题目"):
        actions.do_publish(org.rsj_handler, qn)
    actions.do_add_question(org.rsj_handler, qn, kind=QuestionKind.TEXT, text="意见")
    with pytest.raises(ActionError, match="截止时间"):
        actions.do_publish(org.rsj_handler, qn)
    qn.refresh_from_db()
    actions.do_update_questionnaire(
        org.rsj_handler,
        qn,
        version=qn.version,
        title="问卷",
        intro="",
        groups=["群众"],
        closes_at=timezone.now() - dt.timedelta(minutes=1),
    )
    with pytest.raises(ActionError, match="截止时间"):
        actions.do_publish(org.rsj_handler, qn)
    qn.refresh_from_db()
    actions.do_update_questionnaire(
        org.rsj_handler,
        qn,
        version=qn.version,
        title="问卷",
        intro="",
        groups=["群众"],
        closes_at=timezone.now() + dt.timedelta(days=1),
    )
    qn = actions.do_publish(org.rsj_handler, qn)
    assert qn.status == QuestionnaireStatus.PUBLISHED and qn.is_accepting


def test_publish_refused_for_a_confidential_matter(org):
    matter = register_matter(org, title="涉密改制方案", confidential=True)
    qn = build_questionnaire(org, matter, publish=False)
    with pytest.raises(ActionError, match="不得公开发布"):
        actions.do_publish(org.rsj_handler, qn)


def test_published_questionnaire_is_frozen_and_can_be_closed(org, qn):
    with pytest.raises(ActionError, match="不能再修改"):
        actions.do_add_question(org.rsj_handler, qn, kind=QuestionKind.TEXT, text="追加")
    with pytest.raises(ActionError, match="不能再修改"):
        actions.do_remove_question(org.rsj_handler, qn.questions.first())
    qn = actions.do_close(org.rsj_handler, qn)
    assert qn.status == QuestionnaireStatus.CLOSED and not qn.is_accepting
    with pytest.raises(ActionError):
        actions.do_close(org.rsj_handler, qn)


def test_stale_edit_is_a_conflict(org, matter):
    qn = actions.do_create_questionnaire(org.rsj_handler, matter, title="问卷")
    stale = qn.version
    actions.do_add_question(org.rsj_handler, qn, kind=QuestionKind.TEXT, text="意见")
    with pytest.raises(ActionError, match="已被他人修改"):
        actions.do_update_questionnaire(
            org.rsj_handler,
            qn,
            version=stale,
            title="改",
            intro="",
            groups=["群众"],
            closes_at=None,
        )


@pytest.mark.parametrize("persona", ["supervisor", "zjj_handler", "nobody"])
def test_staff_actions_need_change_access(org, qn, persona):
    user = getattr(org, persona)
    with pytest.raises(PermissionDenied):
        actions.do_close(user, qn)
    with pytest.raises(PermissionDenied):
        actions.do_add_comment(user, qn.matter, channel=CommentChannel.LETTER, content="意见")
    with pytest.raises(PermissionDenied):
        actions.do_create_questionnaire(user, qn.matter, title="问卷")


def test_activity_with_attachment_and_superior_consultation(org, matter):
    activity = actions.do_record_activity(
        org.rsj_handler,
        matter,
        kind=ActivityKind.SUPERIOR,
        date=timezone.localdate(),
        participants="省人社厅养老保险处",
        participant_count=3,
        minutes="原则同意，建议分步实施",
        uploads=[SimpleUploadedFile("复函.txt", "同意".encode())],
    )
    (att,) = activity.attachments.all()
    assert att.name == "复函.txt" and len(att.sha256) == 64 and att.size == len("同意".encode())
    assert Event.objects.filter(action="opinions.attachment.add").count() == 1
    with pytest.raises(ActionError, match="不接受该类型"):
        actions.do_add_attachment(org.rsj_handler, activity, SimpleUploadedFile("x.exe", b"MZ"))
    with pytest.raises(ActionError, match="晚于今天"):
        actions.do_record_activity(
            org.rsj_handler,
            matter,
            kind=ActivityKind.HEARING,
            date=timezone.localdate() + dt.timedelta(days=1),
        )


def test_comment_reply_and_revision(org, matter):
    comment = actions.do_add_comment(
        org.rsj_handler,
        matter,
        channel=CommentChannel.HEARING,
        content="调整幅度偏低",
        author_name="张三",
        author_group="直接利益群体",
        is_query=True,
    )
    event = Event.objects.get(action="opinions.comment.add")
    assert "张三" not in str(event.after)  # no personal names in the log
    comment = actions.do_reply_comment(
        org.rsj_handler, comment, reply="已按规定测算", version=comment.version
    )
    assert comment.replied_by == org.rsj_handler and comment.replied_at is not None
    with pytest.raises(ActionError, match="说明"):
        actions.do_mark_revision(org.rsj_handler, comment, note="")
    comment = actions.do_mark_revision(org.rsj_handler, comment, note="调整幅度由 2% 提高到 3%")
    assert comment.led_to_revision
    with pytest.raises(ActionError, match="已被他人修改"):
        actions.do_reply_comment(org.rsj_handler, comment, reply="再答", version=1)
