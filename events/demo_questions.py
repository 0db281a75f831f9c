"""The demo event's questions on the registration form (events/demo.py calls `demo_questions_load`).

Illustrative, like the room capacities: the original event's form is not documented.
"""

from events.models import Event, Question, QuestionChoice

ORGANISATION_TYPES = [
    ("Kommune (Stadt, Gemeinde)", "Municipality (city, town)"),
    ("Landkreis", "District"),
    ("Land", "Federal state"),
    ("Bund", "Federal government"),
    ("Wissenschaft", "Research"),
    ("Zivilgesellschaft", "Civil society"),
    ("Wirtschaft", "Business"),
    ("Sonstiges", "Other"),
]

ACCESS_NEEDS = [
    ("Untertitel (Live-Untertitel)", "Captions (live captions)"),
    ("Gebärdensprachdolmetschung (DGS)", "Sign-language interpretation (DGS)"),
]


def demo_questions_load(event: Event) -> None:
    """Ask the demo event's two questions, unless the event has questions already. Both are
    optional: nobody has to say more than the registration needs."""
    if event.questions.exists():
        return
    kind = Question.objects.create(
        event=event,
        order=1,
        kind=Question.Kind.SINGLE,
        label_de="Kommune / Art der Organisation",
        label_en="Municipality / type of organisation",
        help_text_de="Damit wir die Deep Dives auf Sie zuschneiden können.",
        help_text_en="So that we can tailor the deep dives to you.",
    )
    access = Question.objects.create(
        event=event,
        order=2,
        kind=Question.Kind.MULTIPLE,
        label_de="Benötigen Sie Untertitel oder eine Gebärdensprachdolmetschung?",
        label_en="Do you need captions or sign-language interpretation?",
        help_text_de="Nur die Moderation Ihres Raums und das Orga-Team sehen die Antwort.",
        help_text_en="Only the moderators of your room and the organisers see the answer.",
        is_access_need=True,
    )
    QuestionChoice.objects.bulk_create(
        [
            *(
                QuestionChoice(question=kind, order=n, label_de=de, label_en=en)
                for n, (de, en) in enumerate(ORGANISATION_TYPES, start=1)
            ),
            *(
                QuestionChoice(question=access, order=n, label_de=de, label_en=en)
                for n, (de, en) in enumerate(ACCESS_NEEDS, start=1)
            ),
        ]
    )
