// The YAML examples of the seed study notes (/work/shared/seeds), as objects: the first
// acceptance fixtures. Each must be valid as written and after defaulting.
import { describe, expect, it } from 'vitest';
import { defaultObject } from '../defaults/index';
import { validateObject } from './index';

const ns = 'default';
const seeds: Record<string, any> = {
  'nginx Pod': { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nginx', namespace: ns }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } },
  'nginx Deployment with a cpu request': {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'nginx', namespace: ns },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'nginx' } },
      template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', resources: { requests: { cpu: '100m' } } }] } },
    },
  },
  'kubia Deployment with a readiness probe and a surge of one': {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'kubia', namespace: ns },
    spec: {
      replicas: 3,
      minReadySeconds: 10,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { name: 'kubia', labels: { app: 'kubia' } },
        spec: { containers: [{ name: 'nodejs', image: 'yinzige/kubia:v3', readinessProbe: { periodSeconds: 1, httpGet: { port: 8080, path: '/' } } }] },
      },
      selector: { matchLabels: { app: 'kubia' } },
    },
  },
  'nginx autoscaler': {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'nginx', namespace: ns, labels: { app: 'nginx' } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    },
  },
  'sleep Job': {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'sleep', namespace: ns },
    spec: { template: { spec: { containers: [{ name: 'sleep', image: 'busybox', command: ['/bin/sleep', '30'] }], restartPolicy: 'OnFailure' } } },
  },
  'Job with a fixed completion count': {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'job-wq-1', namespace: ns },
    spec: {
      completions: 8,
      parallelism: 2,
      template: {
        metadata: { name: 'job-wq-1' },
        spec: {
          containers: [{ name: 'c', image: 'myrepo/job-wq-1', env: [{ name: 'BROKER_URL', value: 'amqp://guest:guest@rabbitmq-service:5672' }, { name: 'QUEUE', value: 'job1' }] }],
          restartPolicy: 'OnFailure',
        },
      },
    },
  },
  'work-queue Job with parallelism only': {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'job-wq-2', namespace: ns },
    spec: { parallelism: 2, template: { metadata: { name: 'job-wq-2' }, spec: { containers: [{ name: 'c', image: 'gcr.io/myproject/job-wq-2' }], restartPolicy: 'OnFailure' } } },
  },
  'templated Job with labels': {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'process-item-apple', namespace: ns, labels: { jobgroup: 'jobexample' } },
    spec: {
      template: {
        metadata: { name: 'jobexample', labels: { jobgroup: 'jobexample' } },
        spec: { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo Processing item apple && sleep 5'] }], restartPolicy: 'Never' },
      },
    },
  },
  'sleep CronJob': {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'sleep', namespace: ns },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'sleep', image: 'busybox', command: ['/bin/sleep', '30'] }], restartPolicy: 'OnFailure' } } } },
    },
  },
  'every-minute CronJob': {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'cron-batch-job', namespace: ns },
    spec: {
      schedule: '*/1 * * * *',
      jobTemplate: { spec: { template: { metadata: { labels: { app: 'cron-batch-job' } }, spec: { restartPolicy: 'OnFailure', containers: [{ name: 'cron-batch-job', image: 'yinzige/batch-job' }] } } } },
    },
  },
  'sleep StatefulSet with a claim template': {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'sleep', namespace: ns },
    spec: {
      serviceName: 'sleep',
      replicas: 2,
      selector: { matchLabels: { app: 'sleep' } },
      template: {
        metadata: { labels: { app: 'sleep' } },
        spec: { containers: [{ name: 'sleep', image: 'busybox', command: ['/bin/sleep', '3600'], volumeMounts: [{ name: 'sleep-volume', mountPath: '/storagedir' }] }] },
      },
      volumeClaimTemplates: [{ metadata: { name: 'sleep-volume' }, spec: { storageClassName: 'longhorn', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Mi' } } } }],
    },
  },
  'ssd-monitor DaemonSet': {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'ssd-monitor', namespace: ns },
    spec: {
      selector: { matchLabels: { app: 'ssd-monitor' } },
      template: { metadata: { labels: { app: 'ssd-monitor' } }, spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'main', image: 'yinzige/ssd-monitor' }] } },
    },
  },
  'kubia ReplicationController': {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'kubia', namespace: ns },
    spec: {
      replicas: 3,
      selector: { app: 'kubia' },
      template: { metadata: { labels: { app: 'kubia' } }, spec: { containers: [{ name: 'kubia', image: 'wuyinio/kubia', ports: [{ containerPort: 8080 }] }] } },
    },
  },
  'kubia ReplicaSet with match expressions': {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'kubia', namespace: ns },
    spec: {
      replicas: 3,
      selector: {
        matchLabels: { app: 'kubia' },
        matchExpressions: [
          { key: 'app', operator: 'In', values: ['kubia', 'kubia-v2'] },
          { key: 'app', operator: 'NotIn', values: ['KUBIA'] },
          { key: 'env', operator: 'Exists' },
          { key: 'ENV', operator: 'DoesNotExist' },
        ],
      },
      template: {
        metadata: { labels: { app: 'kubia', env: 'env_exists' } },
        spec: { containers: [{ name: 'kubia', image: 'yinzige/kubia', ports: [{ protocol: 'TCP', containerPort: 8080 }] }] },
      },
    },
  },
  'batch-job Job': {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'batch-job', namespace: ns },
    spec: { completions: 5, parallelism: 2, template: { metadata: { labels: { app: 'batch-job' } }, spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: 'yinzige/batch-job' }] } } },
  },
  'kubia Service with named target ports': {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubia', namespace: ns },
    spec: {
      sessionAffinity: 'ClientIP',
      ports: [
        { name: 'http', port: 80, targetPort: 'http' },
        { name: 'https', port: 443, targetPort: 'https' },
      ],
      selector: { app: 'kubia' },
    },
  },
  'NodePort Service': {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubia-nodeport', namespace: ns },
    spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 8080, nodePort: 30001 }], selector: { app: 'kubia' } },
  },
  'LoadBalancer Service': {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubia-loadbalancer', namespace: ns },
    spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 8080 }], selector: { app: 'kubia' } },
  },
  'headless Service': {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubia-headless', namespace: ns },
    spec: { clusterIP: 'None', ports: [{ port: 80, targetPort: 8080 }], selector: { app: 'kubia' } },
  },
  'ExternalName Service': {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'baidu-endpoints', namespace: ns },
    spec: { type: 'ExternalName', externalName: 'www.baidu.com', ports: [{ port: 80 }] },
  },
  'external Endpoints': {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'baidu-endpoints', namespace: ns },
    subsets: [{ addresses: [{ ip: '220.181.38.148' }, { ip: '39.156.69.79' }], ports: [{ port: 80 }] }],
  },
  'kubia Ingress (rewritten for networking.k8s.io/v1)': {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'kubia', namespace: ns },
    spec: {
      rules: [
        {
          host: 'kubia.example.com',
          http: {
            paths: [
              { path: '/kubia', pathType: 'Prefix', backend: { service: { name: 'kubia-nodeport', port: { number: 80 } } } },
              { path: '/user', pathType: 'Prefix', backend: { service: { name: 'user-svc', port: { number: 90 } } } },
            ],
          },
        },
        { host: 'new.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'gooele', port: { number: 8080 } } } }] } },
      ],
    },
  },
  'mongodb PersistentVolume': {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'mongodb-pv' },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: '/tmp/mongodb' } },
  },
  'mongodb PersistentVolumeClaim': {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'mongodb-pvc', namespace: ns },
    spec: { resources: { requests: { storage: '1Gi' } }, accessModes: ['ReadWriteOnce'], storageClassName: '' },
  },
  'mongodb Pod using the claim': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'mongodb', namespace: ns },
    spec: {
      containers: [{ image: 'mongo', name: 'mongodb', volumeMounts: [{ name: 'mongodb-data', mountPath: '/tmp/data' }], ports: [{ containerPort: 27017, protocol: 'TCP' }] }],
      volumes: [{ name: 'mongodb-data', persistentVolumeClaim: { claimName: 'mongodb-pvc' } }],
    },
  },
  'fast StorageClass': {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'fast' },
    provisioner: 'k8s.io/minikube-hostpath',
    parameters: { type: 'pd-ssd' },
  },
  'custom Namespace': { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'custom-namespace' } },
  'Pod with init containers': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'myapp-pod', namespace: ns, labels: { app: 'myapp' } },
    spec: {
      containers: [{ name: 'myapp-container', image: 'busybox', command: ['sh', '-c', 'echo The app is running! && sleep 3600'] }],
      initContainers: [
        { name: 'init-myservice', image: 'busybox', command: ['sh', '-c', 'until nslookup myservice; do echo waiting for myservice; sleep 2; done;'] },
        { name: 'init-mydb', image: 'busybox', command: ['sh', '-c', 'until nslookup mydb; do echo waiting for mydb; sleep 2; done;'] },
      ],
    },
  },
  'Pod with a liveness probe': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'kubia-liveness', namespace: ns },
    spec: { containers: [{ image: 'wuyinio/kubia-unhealthy', name: 'kubia', livenessProbe: { httpGet: { path: '/', port: 8080 }, initialDelaySeconds: 11 } }] },
  },
  'Pod with lifecycle hooks': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'lifecycle-demo', namespace: ns },
    spec: {
      containers: [
        {
          name: 'lifecycle-demo-container',
          image: 'nginx',
          lifecycle: {
            postStart: { exec: { command: ['/bin/sh', '-c', 'echo Hello from the postStart handler> /usr/share/message'] } },
            preStop: { exec: { command: ['/usr/sbin/nginx', '-s', 'quit'] } },
          },
        },
      ],
    },
  },
  'fortune Pod sharing an emptyDir': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'fortune', namespace: ns },
    spec: {
      containers: [
        { name: 'html-generator', image: 'yinzige/fortuneloop', volumeMounts: [{ name: 'html', mountPath: '/var/htdocs' }] },
        { name: 'web-server', image: 'nginx:alpine', volumeMounts: [{ name: 'html', mountPath: '/usr/share/nginx/html', readOnly: true }] },
      ],
      volumes: [{ name: 'html', emptyDir: {} }],
    },
  },
  'Pod with a configMap volume, subPath and env from a key': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'fortune-configmap-volume', namespace: ns },
    spec: {
      containers: [
        {
          name: 'html-generator',
          image: 'yinzige/fortuneloop:env',
          env: [{ name: 'INTERVAL', valueFrom: { configMapKeyRef: { key: 'sleep-interval', name: 'fortune-config' } } }],
          volumeMounts: [{ mountPath: '/var/htdocs', name: 'html' }],
        },
        {
          name: 'web-server',
          image: 'nginx:alpine',
          volumeMounts: [
            { mountPath: '/usr/share/nginx/html', name: 'html', readOnly: true },
            { mountPath: '/etc/nginx/conf.d/gzip_in.conf', name: 'config', subPath: 'gzip.conf', readOnly: true },
          ],
          ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
        },
      ],
      volumes: [
        { name: 'html', emptyDir: {} },
        { name: 'config', configMap: { name: 'fortune-config', defaultMode: 0o666, items: [{ key: 'my-nginx-config.conf', path: 'gzip.conf' }] } },
      ],
    },
  },
  'Pod with downward API environment': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'downward', namespace: ns },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'busybox',
          command: ['sleep', '1000'],
          env: [
            { name: 'E_POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'E_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'E_REQ_CPU', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
            { name: 'E_LIMIT_MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Ki' } } },
          ],
        },
      ],
    },
  },
  'Pod with a secret volume and a pull secret': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'fortune-with-serect', namespace: ns },
    spec: {
      imagePullSecrets: [{ name: 'dockerhub-secret' }],
      containers: [{ name: 'fortune-auth-main', image: 'yinzige/fortuneloop', volumeMounts: [{ mountPath: '/tmp/no_password.txt', subPath: 'password.txt', name: 'auth' }] }],
      volumes: [{ name: 'auth', secret: { secretName: 'fortune-auth' } }],
    },
  },
  'Pod with required node affinity': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'mysql', namespace: ns },
    spec: {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'mysql', operator: 'In', values: ['true'] }] }] } } },
      containers: [{ name: 'mysql', image: 'mysql:5.6.50', imagePullPolicy: 'IfNotPresent' }],
    },
  },
};

describe('seed examples', () => {
  it.each(Object.keys(seeds))('%s is valid as written', (name) => {
    expect(validateObject(structuredClone(seeds[name]))).toEqual([]);
  });

  it.each(Object.keys(seeds))('%s stays valid after defaulting', (name) => {
    const obj = defaultObject(structuredClone(seeds[name]));
    expect(validateObject(obj)).toEqual([]);
    expect(validateObject(structuredClone(obj), obj)).toEqual([]);
  });

  it('refuses the node affinity value YAML reads as a boolean (the notes warn about `true`)', () => {
    const pod = structuredClone(seeds['Pod with required node affinity']);
    pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values = [true];
    expect(validateObject(defaultObject(pod))).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]',
        message: 'Invalid value: true: must be a string',
      },
    ]);
  });

  it('refuses a Job without restartPolicy, as the notes say it must be chosen', () => {
    const job = structuredClone(seeds['sleep Job']);
    delete job.spec.template.spec.restartPolicy;
    expect(validateObject(defaultObject(job))).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.template.spec.restartPolicy', message: 'Required value: valid values: "OnFailure", "Never"' },
    ]);
  });

  it('refuses a ReplicationController whose selector misses the template, quoting the notes', () => {
    const rc = structuredClone(seeds['kubia ReplicationController']);
    rc.spec.selector = { app: 'kubia-v2' };
    expect(validateObject(defaultObject(rc))).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: 'Invalid value: {"app":"kubia"}: `selector` does not match template `labels`' },
    ]);
  });
});
