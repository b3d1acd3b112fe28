"""The platform's BPMN parser: SpiffWorkflow's spiff dialect with platform timers and decisions."""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import EventBasedGatewayParser
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    EndEvent,
    EventBasedGateway,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    StartEvent,
)
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser,
    SpiffEndEventParser,
    SpiffIntermediateCatchEventParser,
    SpiffIntermediateThrowEventParser,
    SpiffReceiveTaskParser,
    SpiffSendTaskParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import ReceiveTask, SendTask

from engine.decisions.bpmn_task import BUSINESS_RULE_PARSER_OVERRIDES, DecisionParserMixin
from engine.runtime.message_events import PlatformMessage
from engine.runtime.timers import PlatformCycle, PlatformDuration, PlatformTimeDate


class _PlatformMessageMixin:
    """Builds message definitions whose payload reaches the process data (engine.runtime.message_events).

    Every parser that reads a message uses it, throwers included: a message is caught only by a definition
    of its own class.
    """

    def parse_message_event(self, message_event):  # type: ignore[no-untyped-def]
        parsed = super().parse_message_event(message_event)  # type: ignore[misc]
        return PlatformMessage(parsed.name, parsed.correlation_properties, parsed.expression, parsed.message_var,
                               parsed.process_correlations)


class _PlatformTimerMixin:
    """Builds timer definitions that read the platform clock (see engine.runtime.timers)."""

    def parse_timer_event(self, event):  # type: ignore[no-untyped-def]
        description = self.get_event_description(event)  # type: ignore[attr-defined]
        name = self.node.get("name", self.node.get("id"))  # type: ignore[attr-defined]
        for tag, cls in (("timeDate", PlatformTimeDate), ("timeDuration", PlatformDuration),
                         ("timeCycle", PlatformCycle)):
            node = first(self.xpath(f".//bpmn:{tag}"))  # type: ignore[attr-defined]
            if node is not None:
                if not (node.text or "").strip():
                    break
                return cls(name, node.text.strip(), description=description)
        raise ValidationException(
            "timer has no date, duration or cycle expression",
            node=self.node,  # type: ignore[attr-defined]
            file_name=self.filename,  # type: ignore[attr-defined]
        )


class StartEventParser(_PlatformMessageMixin, _PlatformTimerMixin, SpiffStartEventParser):
    pass


class IntermediateCatchEventParser(_PlatformMessageMixin, _PlatformTimerMixin, SpiffIntermediateCatchEventParser):
    pass


class BoundaryEventParser(_PlatformMessageMixin, _PlatformTimerMixin, SpiffBoundaryEventParser):
    pass


class IntermediateThrowEventParser(_PlatformMessageMixin, SpiffIntermediateThrowEventParser):
    pass


class EndEventParser(_PlatformMessageMixin, SpiffEndEventParser):
    pass


class SendTaskParser(_PlatformMessageMixin, SpiffSendTaskParser):
    pass


class ReceiveTaskParser(_PlatformMessageMixin, SpiffReceiveTaskParser):
    pass


class GatewayEventParser(_PlatformTimerMixin, EventBasedGatewayParser):
    pass


class MotcuaParser(DecisionParserMixin, SpiffBpmnParser):
    """Business rule tasks run the platform's DMN engine; timers read the platform clock."""

    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        **BUSINESS_RULE_PARSER_OVERRIDES,
        full_tag("startEvent"): (StartEventParser, StartEvent),
        full_tag("intermediateCatchEvent"): (IntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("boundaryEvent"): (BoundaryEventParser, BoundaryEvent),
        full_tag("eventBasedGateway"): (GatewayEventParser, EventBasedGateway),
        full_tag("intermediateThrowEvent"): (IntermediateThrowEventParser, IntermediateThrowEvent),
        full_tag("endEvent"): (EndEventParser, EndEvent),
        full_tag("sendTask"): (SendTaskParser, SendTask),
        full_tag("receiveTask"): (ReceiveTaskParser, ReceiveTask),
    }

    def __init__(self) -> None:
        super().__init__(validator=VALIDATOR)
