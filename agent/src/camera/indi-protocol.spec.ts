import { describe, expect, it } from 'vitest';
import { IndiParser, IndiPropertyStore, escapeXml, newNumberVector } from './indi-protocol.js';

const DEF = `<defNumberVector device="CCD Simulator" name="CCD_GAIN" label="Gain" state="Idle" perm="rw">
    <defNumber name="GAIN" label="value" format="%.f" min="0" max="100" step="10">
90
    </defNumber>
</defNumberVector>
<defSwitchVector device="CCD Simulator" name="CONNECTION" state="Idle" perm="rw" rule="OneOfMany">
    <defSwitch name="CONNECT">
Off
    </defSwitch>
    <defSwitch name="DISCONNECT">
On
    </defSwitch>
</defSwitchVector>
<message device="CCD Simulator" timestamp="2026-01-01T00:00:00" message="a &lt;b&gt; &amp; c"/>
<setSwitchVector device="CCD Simulator" name="CONNECTION" state="Ok">
    <oneSwitch name="CONNECT">On</oneSwitch>
    <oneSwitch name="DISCONNECT">Off</oneSwitch>
</setSwitchVector>
<setBLOBVector device="CCD Simulator" name="CCD1" state="Ok">
    <oneBLOB name="CCD1" size="6" format=".fits" len="6">
aGVs
bG8h
    </oneBLOB>
</setBLOBVector>
`;

describe('INDI protocol', () => {
  it('parses messages split at any byte and keeps the property store current', () => {
    for (const size of [1, 13, 100, DEF.length]) {
      const parser = new IndiParser();
      const store = new IndiPropertyStore();
      const tags: string[] = [];
      let blob = '';
      for (let i = 0; i < DEF.length; i += size) {
        for (const m of parser.push(DEF.slice(i, i + size))) {
          store.apply(m);
          tags.push(m.tag);
          if (m.tag === 'message') expect(m.attrs['message']).toBe('a <b> & c');
          if (m.tag === 'setBLOBVector') blob = m.children[0]!.text;
        }
      }
      expect(tags).toEqual(['defNumberVector', 'defSwitchVector', 'message', 'setSwitchVector', 'setBLOBVector']);
      expect(store.number('CCD Simulator', 'CCD_GAIN', 'GAIN')).toBe(90);
      expect(store.get('CCD Simulator', 'CCD_GAIN')!.elements.get('GAIN')).toMatchObject({
        min: 0,
        max: 100,
        step: 10,
      });
      expect(store.switchOn('CCD Simulator', 'CONNECTION', 'CONNECT')).toBe(true);
      expect(store.get('CCD Simulator', 'CONNECTION')!.state).toBe('Ok');
      expect(Buffer.from(blob, 'base64').toString()).toBe('hello!');
    }
  });

  it('writes new*Vector messages with escaped names', () => {
    expect(newNumberVector('Cam "A"', 'CCD_EXPOSURE', { CCD_EXPOSURE_VALUE: 0.5 })).toBe(
      '<newNumberVector device="Cam &quot;A&quot;" name="CCD_EXPOSURE"><oneNumber name="CCD_EXPOSURE_VALUE">0.5</oneNumber></newNumberVector>\n',
    );
    expect(escapeXml(`<&'>`)).toBe('&lt;&amp;&apos;&gt;');
  });
});
