/** The plugin packages the command knows, in start order, with the keys each one reads. */
export const KNOWN_PLUGINS = [
    {
        name: '@tekka/discovery',
        what: 'cluster discovery',
        configKeys: ['cluster.discovery', 'cluster.autocluster_interval', 'cluster.static.', 'cluster.dns.', 'cluster.etcd.', 'cluster.k8s.', 'cluster.mdns.']
    },
    { name: '@tekka/heal', what: 'autoheal and autoclean', configKeys: ['cluster.autoheal', 'cluster.autoclean'] },
    { name: '@tekka/lock', what: 'the lock service', configKeys: ['lock.'] }
];
export function isTekkaPlugin(v) {
    return typeof v === 'object' && v !== null && typeof v.name === 'string' &&
        Array.isArray(v.configKeys) && typeof v.start === 'function';
}
//# sourceMappingURL=plugin.js.map