import { describe, expect, it } from 'vitest';
import { diffFileShapes, mapEntryName, type FileShape } from './descriptor-diff';

const base = (): FileShape => ({
  package: 'runtime.v1',
  messages: {
    StopContainerRequest: {
      fields: [
        { name: 'container_id', number: 1, label: 'LABEL_OPTIONAL', type: 'TYPE_STRING' },
        { name: 'timeout', number: 2, label: 'LABEL_OPTIONAL', type: 'TYPE_INT64' },
      ],
      nested: {},
      enums: {},
      mapEntry: false,
    },
  },
  enums: { ContainerState: { CONTAINER_CREATED: 0, CONTAINER_RUNNING: 1 } },
  services: { RuntimeService: { StopContainer: { input: 'runtime.v1.StopContainerRequest', output: 'runtime.v1.StopContainerResponse', serverStreaming: false, clientStreaming: false } } },
});

describe('diffFileShapes', () => {
  it('finds nothing when both sides are equal', () => {
    expect(diffFileShapes(base(), base()).differences).toEqual([]);
  });

  it.each<[string, (s: FileShape) => void, string]>([
    ['a renumbered field', (s) => (s.messages.StopContainerRequest!.fields[1]!.number = 3), 'StopContainerRequest.timeout (#3): field number 3 not in reference'],
    ['a renamed field', (s) => (s.messages.StopContainerRequest!.fields[1]!.name = 'timeout_seconds'), 'name differs, reference calls #2 "timeout"'],
    ['a retyped field', (s) => (s.messages.StopContainerRequest!.fields[1]!.type = 'TYPE_INT32'), 'type TYPE_INT32 ≠ reference TYPE_INT64'],
    ['a field made repeated', (s) => (s.messages.StopContainerRequest!.fields[0]!.label = 'LABEL_REPEATED'), 'label LABEL_REPEATED ≠ reference LABEL_OPTIONAL'],
    ['a missing field', (s) => s.messages.StopContainerRequest!.fields.pop(), 'StopContainerRequest.timeout (#2): in reference, missing here'],
    ['an unknown message', (s) => (s.messages.Extra = { fields: [], nested: {}, enums: {}, mapEntry: false }), 'Extra: message not in reference'],
    ['a changed enum value', (s) => (s.enums.ContainerState!.CONTAINER_RUNNING = 2), 'ContainerState.CONTAINER_RUNNING: value 2 ≠ reference 1'],
    ['a changed rpc input', (s) => (s.services.RuntimeService!.StopContainer!.input = 'runtime.v1.Other'), 'RuntimeService/StopContainer: input runtime.v1.Other ≠ reference'],
    ['an unknown rpc', (s) => (s.services.RuntimeService!.Kill = { ...s.services.RuntimeService!.StopContainer! }), 'RuntimeService/Kill: rpc not in reference'],
  ])('reports %s', (_name, mutate, expected) => {
    const ours = base();
    mutate(ours);
    const { differences } = diffFileShapes(ours, base());
    expect(differences.join('\n')).toContain(expected);
  });

  it('accepts a reference field that is explicitly allowed to be missing', () => {
    const ours = base();
    ours.messages.StopContainerRequest!.fields.pop();
    expect(diffFileShapes(ours, base(), ['StopContainerRequest.timeout']).differences).toEqual([]);
  });

  it.each([
    ['labels', 'LabelsEntry'],
    ['label_selector', 'LabelSelectorEntry'],
    ['info', 'InfoEntry'],
  ])('names the map entry of field %s %s, as protoc does', (field, entry) => {
    expect(mapEntryName(field)).toBe(entry);
  });
});
