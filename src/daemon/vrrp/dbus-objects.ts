// What keepalived's VRRP process shows on the system bus (vrrp_dbus.c, Debian's 2.2.7 build: no
// CreateInstance / DestroyInstance, which need --enable-dbus-create-instance), as pure decisions: the object
// paths, the introspection XML GDBus writes for them, and the answer to each method call. The bus connection
// itself is vrrp-dbus.ts.
import type { VrrpState } from '../../vrrp/engine/spec.js';

export const DBUS_SERVICE_NAME = 'org.keepalived.Vrrp1';
export const VRRP_INTERFACE = 'org.keepalived.Vrrp1.Vrrp';
export const INSTANCE_INTERFACE = 'org.keepalived.Vrrp1.Instance';
const ROOT = '/org/keepalived/Vrrp1';

const PROPERTIES = 'org.freedesktop.DBus.Properties';
const INTROSPECTABLE = 'org.freedesktop.DBus.Introspectable';
const PEER = 'org.freedesktop.DBus.Peer';
const ERROR = 'org.freedesktop.DBus.Error';

/** keepalived's VRRP_STATE_* numbers, as VrrpStatusChange and the State property carry them. */
export const STATE_CODE: Readonly<Record<VrrpState, number>> = {
  INIT: 0,
  BACKUP: 1,
  MASTER: 2,
  FAULT: 3,
  STOP: 98,
};
/** vrrp_dbus.c's state_str(). */
const STATE_TEXT: Readonly<Record<VrrpState, string>> = {
  INIT: 'Init',
  BACKUP: 'Backup',
  MASTER: 'Master',
  FAULT: 'Fault',
  STOP: 'Stop',
};

/** What names the paths: net_namespace and instance (each adds a level), dbus_no_interface_name. */
export interface DbusNaming {
  namespace?: string;
  instance?: string;
  noInterfaceName: string;
}

/** An instance as the bus knows it: its path is made of interface, VRID and family. */
export interface DbusInstance {
  name: string;
  /** '' when the instance has no interface. */
  ifname: string;
  vrid: number;
  family: 4 | 6;
}

/** Only A-Z, a-z, 0-9 and _ may appear in a path element: keepalived turns the rest into '_'. */
function pathElement(text: string): string {
  return text.replace(/[^A-Za-z0-9]/g, '_');
}

function root(n: DbusNaming): string {
  return `${ROOT}${n.namespace !== undefined ? `/${n.namespace}` : ''}${n.instance !== undefined ? `/${n.instance}` : ''}`;
}

export function vrrpObjectPath(n: DbusNaming): string {
  return `${root(n)}/Vrrp`;
}

export function instanceObjectPath(n: DbusNaming, i: DbusInstance): string {
  const ifname = i.ifname === '' ? n.noInterfaceName : i.ifname;
  return `${root(n)}/Instance/${pathElement(ifname)}/${i.vrid}/IPv${i.family}`;
}

/** A value with its D-Bus signature (the edge makes it a variant). */
export interface Typed {
  signature: string;
  value: unknown;
}

/** The answer to one method call. `request`: what the daemon must do once the reply has left. */
export type DbusAnswer =
  | { kind: 'reply'; signature: string; body: unknown[]; request?: DbusRequest }
  | { kind: 'error'; name: string; text: string };

export type DbusRequest =
  | { type: 'print-data' }
  | { type: 'print-stats'; clear: boolean }
  | { type: 'reload' }
  | { type: 'send-garp'; instance: string }
  /** Peer.GetMachineId: the edge reads the machine id and answers with it. */
  | { type: 'machine-id' };

export interface DbusCall {
  path: string;
  interface: string | undefined;
  member: string;
  signature: string;
  body: readonly unknown[];
}

type ObjectKind = { kind: 'vrrp' } | { kind: 'instance' };

/** The objects one configuration exports, and the answers they give. */
export class DbusObjects {
  /** Path -> object, in registration order (the Vrrp object first, then each instance). */
  readonly objects = new Map<string, ObjectKind>();
  /** Instance name -> its object's path. */
  readonly instancePaths = new Map<string, string>();

  constructor(
    readonly naming: DbusNaming,
    private readonly instances: readonly DbusInstance[],
    /** The instance's current state, undefined when it is unknown. */
    private readonly stateOf: (name: string) => VrrpState | undefined,
  ) {
    this.objects.set(vrrpObjectPath(naming), { kind: 'vrrp' });
    for (const i of instances) {
      const path = instanceObjectPath(naming, i);
      // Two instances on one path (unicast instances sharing a VRID): GDBus refuses the second object.
      if (this.objects.has(path)) continue;
      this.objects.set(path, { kind: 'instance' });
      this.instancePaths.set(i.name, path);
    }
  }

  get vrrpPath(): string {
    return vrrpObjectPath(this.naming);
  }

  /** keepalived's get_vrrp_instance(): the instance behind an instance path, found again in the current
   * configuration by interface, VRID and family. */
  private instanceAt(path: string): DbusInstance | undefined {
    return this.instances.find((i) => instanceObjectPath(this.naming, i) === path);
  }

  private notFound(path: string): DbusAnswer {
    const [ifname, vrid, family] = path.split('/').slice(-3);
    return {
      kind: 'error',
      name: `${ERROR}.InvalidArgs`,
      text: `Instance '${ifname}/${vrid}/${family}' not found`,
    };
  }

  /** The current value of property `name` of the instance object at `path`. keepalived answers Name as
   * a one-member structure '(s)' although its introspection says 's' (fixed in 2.4's XML). */
  private property(path: string, name: string): Typed | DbusAnswer {
    const inst = this.instanceAt(path);
    const state = inst && this.stateOf(inst.name);
    if (inst === undefined || state === undefined) return this.notFound(path);
    if (name === 'Name') return { signature: '(s)', value: [inst.name] };
    return { signature: '(us)', value: [STATE_CODE[state], STATE_TEXT[state]] };
  }

  answer(call: DbusCall): DbusAnswer {
    const object = this.objects.get(call.path);
    const iface = call.interface;
    if (iface === PEER) return this.peer(call);
    if (iface === INTROSPECTABLE && call.member === 'Introspect') {
      const xml = this.introspect(call.path);
      if (xml !== undefined) return this.checked(call, '', { kind: 'reply', signature: 's', body: [xml] });
    }
    if (object === undefined)
      return {
        kind: 'error',
        name: `${ERROR}.UnknownMethod`,
        text: `Object does not exist at path “${call.path}”`,
      };
    if (iface === undefined)
      return {
        kind: 'error',
        name: `${ERROR}.UnknownMethod`,
        text: `No such interface “” on object at path ${call.path}`,
      };
    if (iface === PROPERTIES) return this.properties(call, object);
    const own = object.kind === 'vrrp' ? VRRP_INTERFACE : INSTANCE_INTERFACE;
    if (iface !== own)
      return {
        kind: 'error',
        name: `${ERROR}.UnknownMethod`,
        text: `No such interface “${iface}” on object at path ${call.path}`,
      };
    const done = (request?: DbusRequest): DbusAnswer =>
      this.checked(call, '', {
        kind: 'reply',
        signature: '',
        body: [],
        ...(request ? { request } : {}),
      });
    if (object.kind === 'vrrp') {
      switch (call.member) {
        case 'PrintData':
          return done({ type: 'print-data' });
        case 'PrintStats':
          return done({ type: 'print-stats', clear: false });
        case 'PrintStatsClear':
          return done({ type: 'print-stats', clear: true });
        case 'ReloadConfig':
          return done({ type: 'reload' });
      }
    } else if (call.member === 'SendGarp') {
      const inst = this.instanceAt(call.path);
      if (inst === undefined) return this.notFound(call.path);
      return done({ type: 'send-garp', instance: inst.name });
    }
    return { kind: 'error', name: `${ERROR}.UnknownMethod`, text: `No such method “${call.member}”` };
  }

  /** GDBus refuses arguments of another type than the method's, before the method runs. */
  private checked(call: DbusCall, expected: string, answer: DbusAnswer): DbusAnswer {
    if (call.signature === expected) return answer;
    return {
      kind: 'error',
      name: `${ERROR}.InvalidArgs`,
      text: `Type of message, “(${call.signature})”, does not match expected type “(${expected})”`,
    };
  }

  private peer(call: DbusCall): DbusAnswer {
    if (call.member === 'Ping') return this.checked(call, '', { kind: 'reply', signature: '', body: [] });
    if (call.member === 'GetMachineId')
      return this.checked(call, '', {
        kind: 'reply',
        signature: 's',
        body: [],
        request: { type: 'machine-id' },
      });
    return { kind: 'error', name: `${ERROR}.UnknownMethod`, text: `No such method “${call.member}”` };
  }

  private properties(call: DbusCall, object: ObjectKind): DbusAnswer {
    const own = object.kind === 'vrrp' ? VRRP_INTERFACE : INSTANCE_INTERFACE;
    const names = object.kind === 'vrrp' ? [] : ['Name', 'State'];
    const [ifaceName, propName] = call.body as [string, string];
    const noInterface: DbusAnswer = {
      kind: 'error',
      name: `${ERROR}.InvalidArgs`,
      text: `No such interface “${ifaceName}”`,
    };
    switch (call.member) {
      case 'Get': {
        if (call.signature !== 'ss') return this.checked(call, 'ss', noInterface);
        if (ifaceName !== own) return noInterface;
        if (!names.includes(propName))
          return { kind: 'error', name: `${ERROR}.InvalidArgs`, text: `No such property “${propName}”` };
        const p = this.property(call.path, propName);
        return 'kind' in p ? p : { kind: 'reply', signature: 'v', body: [p] };
      }
      case 'GetAll': {
        if (call.signature !== 's') return this.checked(call, 's', noInterface);
        if (ifaceName !== own) return noInterface;
        const all: Record<string, Typed> = {};
        for (const n of names) {
          const p = this.property(call.path, n);
          if (!('kind' in p)) all[n] = p;
        }
        return { kind: 'reply', signature: 'a{sv}', body: [all] };
      }
      case 'Set': {
        if (call.signature !== 'ssv') return this.checked(call, 'ssv', noInterface);
        if (ifaceName !== own) return noInterface;
        if (!names.includes(propName))
          return { kind: 'error', name: `${ERROR}.InvalidArgs`, text: `No such property “${propName}”` };
        return {
          kind: 'error',
          name: `${ERROR}.InvalidArgs`,
          text: `Property “${propName}” is not writable`,
        };
      }
    }
    return { kind: 'error', name: `${ERROR}.UnknownMethod`, text: `No such method “${call.member}”` };
  }

  /** The XML GDBus gives for `path` (an object: its interfaces; any node: its children), or undefined
   * when nothing is there. */
  introspect(path: string): string | undefined {
    const object = this.objects.get(path);
    const prefix = path === '/' ? '/' : `${path}/`;
    const children: string[] = [];
    for (const p of this.objects.keys()) {
      if (!p.startsWith(prefix)) continue;
      const child = p.slice(prefix.length).split('/')[0] as string;
      if (!children.includes(child)) children.push(child);
    }
    if (object === undefined && children.length === 0) return undefined;
    const lines = [
      '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"',
      '                      "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">',
      '<!-- keepalived-ts -->',
      '<node>',
    ];
    if (object !== undefined) {
      lines.push(STANDARD_INTERFACES);
      lines.push(object.kind === 'vrrp' ? VRRP_XML : INSTANCE_XML);
    }
    for (const c of children) lines.push(`  <node name="${c}"/>`);
    lines.push('</node>', '');
    return lines.join('\n');
  }
}

/** The standard interfaces GDBus adds to every object, as it writes them. */
const STANDARD_INTERFACES = `  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="out"/>
    </method>
    <method name="GetAll">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="a{sv}" name="properties" direction="out"/>
    </method>
    <method name="Set">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="in"/>
    </method>
    <signal name="PropertiesChanged">
      <arg type="s" name="interface_name"/>
      <arg type="a{sv}" name="changed_properties"/>
      <arg type="as" name="invalidated_properties"/>
    </signal>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg type="s" name="xml_data" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg type="s" name="machine_uuid" direction="out"/>
    </method>
  </interface>`;

/** org.keepalived.Vrrp1.Vrrp as Debian's 2.2.7 installs it (its XML template without CreateInstance). */
const VRRP_XML = `  <interface name="${VRRP_INTERFACE}">
${['PrintData', 'PrintStats', 'PrintStatsClear', 'ReloadConfig'].map((m) => `    <method name="${m}">\n    </method>`).join('\n')}
${['VrrpStarted', 'VrrpReloaded', 'VrrpStopped'].map((s) => `    <signal name="${s}">\n    </signal>`).join('\n')}
  </interface>`;

/** org.keepalived.Vrrp1.Instance as 2.2.7 declares it (Name as 's'). */
const INSTANCE_XML = `  <interface name="${INSTANCE_INTERFACE}">
    <method name="SendGarp">
    </method>
    <signal name="VrrpStatusChange">
      <arg type="u" name="status">
      </arg>
    </signal>
    <property type="s" name="Name" access="read">
    </property>
    <property type="(us)" name="State" access="read">
    </property>
  </interface>`;
