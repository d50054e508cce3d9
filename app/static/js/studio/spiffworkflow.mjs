// The spiffworkflow extension namespace as bpmn-moddle reads and writes it, so the modeler round-trips what our
// engine reads (workflows/registry.py): <spiffworkflow:properties><spiffworkflow:property name= value=/>...,
// <spiffworkflow:messageVariable>, <spiffworkflow:calledDecisionId>, pre- and post-scripts.
export const spiffworkflow = {
  name: "SpiffWorkflow",
  prefix: "spiffworkflow",
  uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
  xml: { tagAlias: "lowerCase" },
  associations: [],
  types: [
    {
      name: "Properties",
      superClass: ["Element"],
      properties: [{ name: "properties", type: "Property", isMany: true }],
    },
    {
      name: "Property",
      superClass: ["Element"],
      properties: [
        { name: "name", type: "String", isAttr: true },
        { name: "value", type: "String", isAttr: true },
      ],
    },
    ...["MessageVariable", "CalledDecisionId", "PreScript", "PostScript", "InstructionsForEndUser"].map((name) => ({
      name,
      superClass: ["Element"],
      properties: [{ name: "value", type: "String", isBody: true }],
    })),
  ],
};
