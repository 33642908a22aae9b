// Telemetry and alerting: Application Insights on a Log Analytics workspace, an action group that
// emails the owner, and log alert rules on the product's structured log events.

param logAnalyticsName string
param appInsightsName string
param actionGroupName string
param location string
param tags object

@description('Principal id of the managed identity (publishes telemetry with Entra auth).')
param principalId string

@description('Where alert emails go.')
param alertEmail string

// Monitoring Metrics Publisher (DESIGN section 7): with local auth disabled, ingestion needs it.
var metricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

// The alert contract with the code. Each product log line is one JSON object with an `event` field
// (src/log/logger.ts); the alert events are `alert.<kind>` (src/log/alertEvents.ts), written on the
// path that runs in Azure when the thing happens. Keep this table, the one in docs/deploy.md
// ("Alerts") and the code's names identical (test/infra/main.test.ts compares them, and
// test/infra/alertPaths.test.ts runs each path and matches its lines against these rules).
//
// | event                   | emitted when                                                         |
// |-------------------------|----------------------------------------------------------------------|
// | alert.secret_expiry     | the client secret is near expiry, expired, missing, has no expiry or was rejected |
// | alert.connection_reauth | a connection's refresh token was rejected; a person must authorize again |
// | alert.run_failed        | a backup or restore run ended failed or partially failed (at its end) |
// | alert.job_failing       | the daily check found a job whose last runs all failed               |
// | alert.poison            | a poison-queue function received a message that failed every delivery |
// | alert.quota_exceeded    | OneDrive or SharePoint refused an upload: the drive is full           |
var alertRules = [
  {
    key: 'secret-expiry'
    event: 'alert.secret_expiry'
    displayName: 'Client secret expiring'
    description: 'The app registration client secret expires soon (or has no expiry recorded, or Microsoft rejected it). When it expires every backup stops. Create a new client secret and store it: see docs/deploy.md.'
    severity: 1
    frequency: 'PT1H'
  }
  {
    key: 'connection-reauth'
    event: 'alert.connection_reauth'
    displayName: 'Connection needs re-authorization'
    description: 'A OneDrive connection lost its sign-in (refresh token rejected). Its jobs stop until someone opens the setup page and authorizes it again.'
    severity: 1
    frequency: 'PT15M'
  }
  {
    key: 'run-failed'
    event: 'alert.run_failed'
    displayName: 'Backup or restore run failed'
    description: 'A backup or restore run ended failed or partially failed. The run record lists each failed file and why.'
    severity: 2
    frequency: 'PT15M'
  }
  {
    key: 'job-failing'
    event: 'alert.job_failing'
    displayName: 'Job failing repeatedly'
    description: 'The daily check found a job whose last runs all failed: nothing new from its source is being backed up.'
    severity: 2
    frequency: 'PT1H'
  }
  {
    key: 'poison'
    event: 'alert.poison'
    displayName: 'Poison messages'
    description: 'A queue message failed every retry and was moved to a -poison queue; its file (or its run) is marked failed.'
    severity: 2
    frequency: 'PT15M'
  }
  {
    key: 'quota-exceeded'
    event: 'alert.quota_exceeded'
    displayName: 'OneDrive or SharePoint is full'
    description: 'An upload was refused because the destination drive is full. Free space (or raise the quota), then run the job again.'
    severity: 1
    frequency: 'PT15M'
  }
]

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // No instrumentation-key ingestion: telemetry is accepted only from Entra identities, so the
    // connection string in app settings is an address, not a credential.
    DisableLocalAuth: true
  }
}

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, metricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', metricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  // Action groups are global resources: 'global' is the only valid location, not a choice.
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'odbackup'
    enabled: true
    emailReceivers: [
      {
        name: 'owner'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// One rule per event. The window equals the frequency so each event is counted exactly once; a
// log line from the code (traces) or a custom event with the same name both count. The rule adds up
// `itemCount` rather than counting rows: under Application Insights sampling one stored row stands
// for itemCount items, so the total stays right even if sampling is later turned on for traces
// (host.json keeps traces out of sampling so that no alert line is dropped).
resource rules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in alertRules: {
    name: '${appInsightsName}-${rule.key}'
    location: location
    tags: tags
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [appInsights.id]
      evaluationFrequency: rule.frequency
      windowSize: rule.frequency
      autoMitigate: false
      criteria: {
        allOf: [
          {
            query: 'union isfuzzy=true (traces | where message has \'${rule.event}\' | where tostring(parse_json(message).event) == \'${rule.event}\' | project timestamp, itemCount), (customEvents | where name == \'${rule.event}\' | project timestamp, itemCount)'
            timeAggregation: 'Total'
            metricMeasureColumn: 'itemCount'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: [actionGroup.id]
      }
    }
  }
]

output appInsightsConnectionString string = appInsights.properties.ConnectionString
